import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// The connpool dashboard: a live SocketPool under load, its gauges, counters
// and history, the controls that replace it, and fault injection.
ApplicationWindow {
    id: window
    required property Dashboard dashboard
    readonly property SocketPool pool: dashboard.pool
    readonly property EchoServer server: dashboard.server
    readonly property LoadGenerator load: dashboard.generator

    width: 1440
    height: 900
    visible: true
    title: "connpool dashboard — " + dashboard.target
    color: Theme.background
    font.pixelSize: Theme.fontSize
    palette {
        window: Theme.card
        windowText: Theme.text
        base: "#1f2630"
        text: Theme.text
        button: "#2a3441"
        buttonText: Theme.text
        highlight: Theme.accent
        highlightedText: "#ffffff"
        mid: "#3a4656"
        midlight: Theme.track
        dark: Theme.accent
        light: "#3a4656"
    }

    function formatMs(v) { return v <= 0 ? "off" : (v >= 1000 ? (v / 1000).toFixed(v % 1000 ? 1 : 0) + " s" : v + " ms") }

    ListModel { id: events }
    Connections {
        target: window.dashboard
        function onEvent(severity, text) {
            const time = new Date().toLocaleTimeString(Qt.locale("C"), "HH:mm:ss")
            if (events.count > 0 && events.get(0).message === text) {
                events.setProperty(0, "count", events.get(0).count + 1)
                events.setProperty(0, "time", time)
                return
            }
            events.insert(0, { severity: severity, message: text, time: time, count: 1 })
            if (events.count > 200) events.remove(200, events.count - 200)
        }
    }
    Component.onCompleted: dashboard.log("info", server ? "embedded echo server on " + dashboard.target + ", pool #1 started"
                                                        : "pooling to " + dashboard.target)

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 14
        spacing: 12

        // Header.
        RowLayout {
            Layout.fillWidth: true
            spacing: 16
            Text { text: "connpool"; color: Theme.accent; font.pixelSize: 22; font.bold: true }
            Text { text: "dashboard"; color: Theme.text; font.pixelSize: 22 }
            Rectangle {
                radius: 10; implicitHeight: 22; implicitWidth: targetText.implicitWidth + 20
                color: "#1f2630"; border.color: Theme.cardBorder
                Text { id: targetText; anchors.centerIn: parent; color: Theme.text; font.pixelSize: 12
                       text: (window.server ? "embedded echo server " : "server ") + dashboard.target }
            }
            Rectangle {
                visible: window.server !== null
                radius: 10; implicitHeight: 22; implicitWidth: serverText.implicitWidth + 20
                color: window.server && window.server.running ? Qt.rgba(0.18, 0.8, 0.44, 0.18) : Qt.rgba(1, 0.36, 0.48, 0.2)
                border.color: window.server && window.server.running ? Theme.idle : Theme.error
                Text {
                    id: serverText; anchors.centerIn: parent; font.pixelSize: 12; color: Theme.text
                    text: !window.server ? "" : (window.server.running ? "server up" : "server DOWN") + " · "
                          + window.server.connections + " conns · delay " + window.server.delay + " ms"
                }
            }
            Item { Layout.fillWidth: true }
            Text {
                color: Theme.dim; font.pixelSize: 12
                text: "pool #" + dashboard.poolGeneration + (dashboard.retiringPools > 0 ? " (" + dashboard.retiringPools + " draining)" : "")
                      + "  ·  " + load.runningThreads + " worker threads  ·  "
                      + dashboard.roundTrips.toLocaleString(Qt.locale("C"), "f", 0) + " round trips  ·  up "
                      + Math.floor(dashboard.uptime) + " s"
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12

            // Left: controls.
            ColumnLayout {
                Layout.preferredWidth: 300
                Layout.maximumWidth: 300
                Layout.fillHeight: true
                spacing: 12

                Card {
                    title: "Load generator"
                    subtitle: "echo round trips"
                    Layout.fillWidth: true
                    LabeledSlider {
                        objectName: "workersControl"
                        label: "worker threads (blocking acquire)"
                        from: 0; to: 32; stepSize: 1
                        value: load.workers
                        onMoved: load.workers = value
                    }
                    LabeledSlider {
                        label: "hold a lease for"
                        from: 0; to: 500; stepSize: 5
                        value: load.holdTime
                        format: function (v) { return v + " ms" }
                        onMoved: load.holdTime = value
                    }
                    LabeledSlider {
                        label: "pause between requests"
                        from: 0; to: 500; stepSize: 5
                        value: load.thinkTime
                        format: function (v) { return v + " ms" }
                        onMoved: load.thinkTime = value
                    }
                    LabeledSlider {
                        label: "acquire deadline"
                        from: 100; to: 5000; stepSize: 100
                        value: load.acquireTimeout
                        format: window.formatMs
                        onMoved: load.acquireTimeout = value
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        Text { text: "GUI-thread async acquires"; color: Theme.dim; Layout.fillWidth: true }
                        Switch {
                            id: asyncSwitch
                            objectName: "asyncSwitch"
                            checked: load.asyncEnabled
                            onToggled: load.asyncEnabled = checked
                            indicator: Rectangle {
                                x: asyncSwitch.leftPadding
                                y: (asyncSwitch.height - height) / 2
                                implicitWidth: 38
                                implicitHeight: 20
                                radius: 10
                                color: asyncSwitch.checked ? Theme.accent : Theme.track
                                Rectangle {
                                    x: asyncSwitch.checked ? parent.width - width - 3 : 3
                                    anchors.verticalCenter: parent.verticalCenter
                                    width: 14; height: 14; radius: 7
                                    color: Theme.text
                                }
                            }
                        }
                    }
                }

                Card {
                    id: settings
                    title: "Pool settings"
                    subtitle: "live on pool #" + dashboard.poolGeneration
                    Layout.fillWidth: true
                    // Live: each slider sets the running pool; a refused value
                    // (e.g. max_idle above max_size) stays marked.
                    LabeledSlider {
                        id: maxSizeControl
                        objectName: "maxSizeControl"
                        label: "max_size"
                        from: 1; to: 32; stepSize: 1
                        value: pool.maxSize
                        pending: value !== pool.maxSize
                        onMoved: pool.maxSize = value
                    }
                    LabeledSlider {
                        objectName: "maxIdleControl"
                        label: "max_idle"
                        from: -1; to: 32; stepSize: 1
                        value: pool.maxIdle
                        format: function (v) { return v < 0 ? "= max_size" : Math.round(v).toString() }
                        pending: value !== pool.maxIdle
                        onMoved: pool.maxIdle = value
                    }
                    LabeledSlider {
                        objectName: "minIdleControl"
                        label: "min_idle"
                        from: 0; to: 16; stepSize: 1
                        value: pool.minIdle
                        pending: value !== pool.minIdle
                        onMoved: pool.minIdle = value
                    }
                    LabeledSlider {
                        objectName: "maxIdleTimeControl"
                        label: "max_idle_time"
                        from: 0; to: 30000; stepSize: 500
                        value: pool.maxIdleTime
                        format: window.formatMs
                        pending: value !== pool.maxIdleTime
                        onMoved: pool.maxIdleTime = value
                    }
                    LabeledSlider {
                        objectName: "maxAgeControl"
                        label: "max_age"
                        from: 0; to: 60000; stepSize: 1000
                        value: pool.maxAge
                        format: window.formatMs
                        pending: value !== pool.maxAge
                        onMoved: pool.maxAge = value
                    }
                    LabeledSlider {
                        objectName: "healthCheckControl"
                        label: "health-check interval"
                        from: 0; to: 10000; stepSize: 250
                        value: pool.healthCheckInterval
                        format: window.formatMs
                        pending: value !== pool.healthCheckInterval
                        onMoved: pool.healthCheckInterval = value
                    }
                    LabeledSlider {
                        id: backoffControl
                        objectName: "backoffControl"
                        label: "breaker backoff (start-only)"
                        from: 0; to: 5000; stepSize: 100
                        value: pool.backoffInitial
                        format: window.formatMs
                        pending: value !== pool.backoffInitial
                    }
                    ActionButton {
                        objectName: "applyButton"
                        Layout.fillWidth: true
                        text: "Apply (replaces the pool)"
                        tint: backoffControl.pending ? Theme.warning : Theme.accent
                        onClicked: dashboard.applySettings(backoffControl.value)
                    }
                }

                Card {
                    title: "Fault injection"
                    subtitle: window.server ? "embedded server" : "external server: drain only"
                    Layout.fillWidth: true
                    GridLayout {
                        columns: 2
                        Layout.fillWidth: true
                        columnSpacing: 8
                        rowSpacing: 8
                        ActionButton {
                            objectName: "killButton"
                            Layout.fillWidth: true
                            text: "Kill server"
                            tint: Theme.error
                            enabled: window.server !== null && window.server.running
                            onClicked: { window.server.kill(); dashboard.log("warning", "echo server killed: connections closed, connects refused") }
                        }
                        ActionButton {
                            objectName: "restartButton"
                            Layout.fillWidth: true
                            text: "Restart server"
                            tint: Theme.idle
                            enabled: window.server !== null && !window.server.running
                            onClicked: dashboard.log(window.server.restart() ? "info" : "error",
                                                     window.server.running ? "echo server restarted" : "echo server could not listen again")
                        }
                        ActionButton {
                            objectName: "resetButton"
                            Layout.fillWidth: true
                            text: "Reset all (RST)"
                            tint: Theme.warning
                            enabled: window.server !== null && window.server.running
                            onClicked: { window.server.resetConnections(); dashboard.log("warning", "server reset every connection") }
                        }
                        ActionButton {
                            objectName: "drainButton"
                            Layout.fillWidth: true
                            text: "Drain pool"
                            tint: Theme.accent
                            enabled: true
                            onClicked: dashboard.drain()
                        }
                    }
                    LabeledSlider {
                        objectName: "delayControl"
                        enabled: window.server !== null
                        label: "server delay per request"
                        from: 0; to: 2000; stepSize: 10
                        value: window.server ? window.server.delay : 0
                        format: function (v) { return v + " ms" }
                        onMoved: window.server.delay = value
                        onPressedChanged: if (!pressed && window.server) dashboard.log("info", "server delay set to " + value + " ms")
                    }
                }
                Item { Layout.fillHeight: true }
            }

            // Centre: gauges, counters, charts.
            ColumnLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 12

                Card {
                    title: "Pool now"
                    subtitle: "max_size " + pool.maxSize + " · max_idle " + (pool.maxIdle < 0 ? pool.maxSize : pool.maxIdle)
                    Layout.fillWidth: true
                    RowLayout {
                        Layout.fillWidth: true
                        Gauge { Layout.fillWidth: true; label: "open"; color: Theme.open; value: pool.openCount; maximum: pool.maxSize; maximumLabel: "of " + pool.maxSize + " max_size" }
                        Gauge { Layout.fillWidth: true; label: "active"; color: Theme.active; value: pool.activeCount; maximum: pool.maxSize; maximumLabel: "of " + pool.maxSize + " max_size" }
                        Gauge {
                            Layout.fillWidth: true; label: "idle"; color: Theme.idle; value: pool.idleCount
                            readonly property int limit: pool.maxIdle < 0 ? pool.maxSize : pool.maxIdle
                            maximum: limit; maximumLabel: "of " + limit + " max_idle"
                        }
                        Gauge { Layout.fillWidth: true; label: "waiting"; color: Theme.waiting; value: pool.waitingCount; maximum: Math.max(1, load.workers + 1); maximumLabel: "of " + (load.workers + (load.asyncEnabled ? 1 : 0)) + " clients" }
                        ColumnLayout {
                            Layout.preferredWidth: 150
                            spacing: 2
                            Text { text: "acquire latency"; color: Theme.dim; font.pixelSize: 12 }
                            Text { text: "p50 " + dashboard.latencyP50.toFixed(2) + " ms"; color: Theme.p50; font.pixelSize: 18; font.bold: true }
                            Text { text: "p99 " + dashboard.latencyP99.toFixed(2) + " ms"; color: Theme.p99; font.pixelSize: 18; font.bold: true }
                            Text { text: "hit rate"; color: Theme.dim; font.pixelSize: 12; Layout.topMargin: 6 }
                            Text { text: dashboard.hitRate.toFixed(1) + " %"; color: Theme.hitRate; font.pixelSize: 18; font.bold: true }
                        }
                    }
                }

                Card {
                    title: "Counters"
                    subtitle: "the origin's metrics, since pool #" + dashboard.poolGeneration + " started"
                    Layout.fillWidth: true
                    GridLayout {
                        Layout.fillWidth: true
                        columns: 7
                        columnSpacing: 8
                        rowSpacing: 8
                        Repeater {
                            model: [
                                { key: "gets", label: "gets" }, { key: "puts", label: "puts" },
                                { key: "hits", label: "hits" }, { key: "misses", label: "misses" },
                                { key: "waits", label: "waits" }, { key: "discards", label: "discards" },
                                { key: "maxActive", label: "max active" },
                                { key: "idleClosed", label: "idle closed" }, { key: "ageClosed", label: "age closed" },
                                { key: "timeouts", label: "timeouts", alarm: true },
                                { key: "pingFailures", label: "ping failures", alarm: true },
                                { key: "factoryFailures", label: "factory failures", alarm: true },
                                { key: "closeTimeouts", label: "close timeouts", alarm: true }
                            ]
                            Counter {
                                objectName: "counter_" + modelData.key
                                label: modelData.label
                                value: window.pool[modelData.key]
                                alarm: modelData.alarm === true
                            }
                        }
                    }
                }

                Card {
                    title: "Connections"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Chart {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        times: dashboard.timeHistory
                        seconds: dashboard.historySeconds
                        minimumMax: pool.maxSize
                        series: [
                            { label: "active", color: Theme.active, values: dashboard.activeHistory },
                            { label: "idle", color: Theme.idle, values: dashboard.idleHistory },
                            { label: "waiting", color: Theme.waiting, values: dashboard.waitingHistory }
                        ]
                    }
                }
                RowLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    spacing: 12
                    Card {
                        title: "Acquire latency"
                        subtitle: "ms, log scale"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Chart {
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            times: dashboard.timeHistory
                        seconds: dashboard.historySeconds
                            decimals: 2
                            logScale: true
                            series: [
                                { label: "p50", color: Theme.p50, values: dashboard.p50History, suffix: " ms" },
                                { label: "p99", color: Theme.p99, values: dashboard.p99History, suffix: " ms" }
                            ]
                        }
                    }
                    Card {
                        title: "Hit rate"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Chart {
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            times: dashboard.timeHistory
                        seconds: dashboard.historySeconds
                            fixedMax: 100
                            decimals: 1
                            series: [ { label: "hits / gets", color: Theme.hitRate, values: dashboard.hitRateHistory, suffix: " %" } ]
                        }
                    }
                }
            }

            // Right: every connection, then the event log.
            ColumnLayout {
              Layout.preferredWidth: 340
              Layout.maximumWidth: 340
              Layout.fillHeight: true
              spacing: 12
              Card {
                title: "Connection list"
                subtitle: connectionModel.count + " open"
                Layout.fillWidth: true
                Layout.preferredHeight: 250
                ConnectionModel { id: connectionModel; pool: window.pool }
                ListView {
                    objectName: "connectionList"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    spacing: 3
                    model: connectionModel
                    delegate: Rectangle {
                        // Roles: id, state, ageMsecs, idleMsecs, uses, lastError.
                        readonly property string connState: model.state
                        width: ListView.view.width
                        implicitHeight: 22
                        radius: 4
                        color: "#1f2630"
                        readonly property color tint: connState === "active" ? Theme.active : connState === "idle" ? Theme.idle
                                                     : connState === "checking" ? Theme.warning : Theme.info
                        Rectangle { width: 4; height: parent.height; radius: 2; color: parent.tint }
                        Row {
                            anchors { left: parent.left; leftMargin: 10; verticalCenter: parent.verticalCenter }
                            spacing: 10
                            Text { width: 44; text: model.id > 0 ? "#" + model.id : "…"; color: Theme.text; font.pixelSize: 12; font.bold: true }
                            Text { width: 62; text: connState; color: parent.parent.tint; font.pixelSize: 12 }
                            Text { width: 70; text: "age " + (model.ageMsecs / 1000).toFixed(1) + " s"; color: Theme.dim; font.pixelSize: 12 }
                            Text { width: 70; text: model.uses + " uses"; color: Theme.dim; font.pixelSize: 12 }
                            Text { text: model.lastError.length > 0 ? "⚠ " + model.lastError : ""; color: Theme.warning; font.pixelSize: 11; elide: Text.ElideRight; width: 40 }
                        }
                    }
                }
              }
              Card {
                title: "Resilience and latency"
                subtitle: "pool histograms"
                Layout.fillWidth: true
                RowLayout {
                    Layout.fillWidth: true
                    spacing: 10
                    Rectangle {
                        id: breakerTile
                        objectName: "breakerTile"
                        readonly property bool open: window.pool.circuitOpen
                        Layout.preferredWidth: 112
                        implicitHeight: 66
                        radius: 6
                        color: open ? Qt.rgba(1, 0.36, 0.48, 0.25) : "#1f2630"
                        border.color: open ? Theme.error : Theme.cardBorder
                        Column {
                            anchors { left: parent.left; leftMargin: 8; verticalCenter: parent.verticalCenter }
                            spacing: 1
                            Text { text: breakerTile.open ? "BREAKER OPEN" : "breaker closed"; font.pixelSize: 13; font.bold: true
                                   color: breakerTile.open ? Theme.error : Theme.idle }
                            Text { text: window.pool.publishedStats.circuitOpens + " opens"; color: Theme.dim; font.pixelSize: 11 }
                            Text { text: window.pool.publishedStats.circuitRejects + " rejects"; color: Theme.dim; font.pixelSize: 11 }
                            Text { text: window.pool.publishedStats.leaksSuspected + " leaks"; color: Theme.dim; font.pixelSize: 11 }
                        }
                    }
                    GridLayout {
                        id: latencyGrid
                        Layout.fillWidth: true
                        columns: 4
                        rowSpacing: 2
                        columnSpacing: 8
                        function ms(us) { return (us / 1000).toFixed(us < 10000 ? 2 : 1) }
                        Text { text: "ms"; color: Theme.dim; font.pixelSize: 11 }
                        Text { text: "p50"; color: Theme.p50; font.pixelSize: 12; font.bold: true }
                        Text { text: "p99"; color: Theme.p99; font.pixelSize: 12; font.bold: true }
                        Text { text: "max"; color: Theme.dim; font.pixelSize: 12; font.bold: true }
                        Text { text: "wait"; color: Theme.dim; font.pixelSize: 12 }
                        Text { objectName: "waitP50"; text: latencyGrid.ms(window.pool.publishedStats.waitP50Usecs); color: Theme.text; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.waitP99Usecs); color: Theme.text; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.waitMaxUsecs); color: Theme.dim; font.pixelSize: 12 }
                        Text { text: "create"; color: Theme.dim; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.createP50Usecs); color: Theme.text; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.createP99Usecs); color: Theme.text; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.createMaxUsecs); color: Theme.dim; font.pixelSize: 12 }
                        Text { text: "hold"; color: Theme.dim; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.holdP50Usecs); color: Theme.text; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.holdP99Usecs); color: Theme.text; font.pixelSize: 12 }
                        Text { text: latencyGrid.ms(window.pool.publishedStats.holdMaxUsecs); color: Theme.dim; font.pixelSize: 12 }
                    }
                }
                GridLayout {
                    objectName: "closesByReason"
                    Layout.fillWidth: true
                    columns: 4
                    rowSpacing: 4
                    columnSpacing: 6
                    Repeater {
                        model: [ { key: "closedIdleTime", label: "idle time" }, { key: "closedMaxAge", label: "max age" },
                                 { key: "closedPingFailed", label: "ping failed", alarm: true }, { key: "closedDiscarded", label: "discarded" },
                                 { key: "closedIdleOverflow", label: "idle overflow" }, { key: "closedPoolClosed", label: "pool closed" },
                                 { key: "closedDrained", label: "drained" }, { key: "closedResized", label: "resized" } ]
                        Column {
                            Layout.fillWidth: true
                            readonly property real value: window.pool.publishedStats[modelData.key]
                            Text { text: parent.value.toLocaleString(Qt.locale("C"), "f", 0); font.pixelSize: 14; font.bold: true
                                   color: modelData.alarm && parent.value > 0 ? Theme.error : Theme.text }
                            Text { text: modelData.label; color: Theme.dim; font.pixelSize: 11 }
                        }
                    }
                }
              }
            Card {
                title: "Events"
                subtitle: events.count + " entries"
                Layout.fillWidth: true
                Layout.fillHeight: true
                ListView {
                    objectName: "eventLog"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    spacing: 4
                    model: events
                    delegate: Rectangle {
                        required property string severity
                        required property string message
                        required property string time
                        required property int count
                        width: ListView.view.width
                        implicitHeight: line.implicitHeight + 10
                        radius: 4
                        color: "#1f2630"
                        Rectangle {
                            width: 3; height: parent.height; radius: 1
                            color: severity === "error" ? Theme.error : severity === "warning" ? Theme.warning : Theme.info
                        }
                        Text {
                            id: line
                            anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; leftMargin: 10; rightMargin: 6 }
                            wrapMode: Text.Wrap
                            font.pixelSize: 12
                            color: Theme.text
                            textFormat: Text.PlainText
                            text: time + "  " + message + (count > 1 ? "  ×" + count : "")
                        }
                    }
                }
            }
            }
        }
    }
}
