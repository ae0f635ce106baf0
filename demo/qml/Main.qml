// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import ConnPoolDemo

// The connpool dashboard: a live SocketPool under load, its gauges, counters
// and history, the controls that replace it, and fault injection; or, in
// watch mode, the same cards for the pools of another program, read from its
// /metrics. Each card is its own file; this one lays them out in three
// columns under the header.
ApplicationWindow {
    id: window
    // The application sets one: the embedded pool under load, or the watcher.
    property Dashboard dashboard: null
    property Watcher watcher: null
    readonly property PoolMonitor monitor: window.watcher ? window.watcher : window.dashboard
    // The pool the cards show.
    readonly property PoolView view: window.monitor.view

    width: 1440
    height: 900
    visible: true
    title: "connpool dashboard — " + (window.watcher ? "watching " + window.watcher.url : window.dashboard.target)
    color: Theme.background
    font.pixelSize: Theme.fontSize
    palette {
        window: Theme.card
        windowText: Theme.text
        base: Theme.inset
        text: Theme.text
        button: Theme.track
        buttonText: Theme.text
        highlight: Theme.accent
        highlightedText: Theme.bright
        mid: Theme.line
        midlight: Theme.track
        dark: Theme.accent
        light: Theme.line
    }

    Component.onCompleted: {
        if (window.watcher)
            window.watcher.log("info", "watching " + window.watcher.url + " every " + window.watcher.interval / 1000 + " s")
        else
            window.dashboard.log("info", window.dashboard.server ? "embedded echo server on " + window.dashboard.target + ", pool #1 started"
                                                                 : "pooling to " + window.dashboard.target)
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 14
        spacing: 12

        Loader {
            Layout.fillWidth: true
            visible: window.dashboard !== null
            // setSource with the required property (qmllint cannot see this file's ids inside an inline Component).
            Component.onCompleted: if (window.dashboard !== null) setSource("DashboardHeader.qml", { "dashboard": window.dashboard })
        }
        Loader {
            Layout.fillWidth: true
            visible: window.watcher !== null
            // setSource with the required property (qmllint cannot see this file's ids inside an inline Component).
            Component.onCompleted: if (window.watcher !== null) setSource("WatchHeader.qml", { "watcher": window.watcher })
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12

            // Left: controls. The load, settings and faults belong to the
            // embedded pool and server: in watch mode, the URL and pools.
            ColumnLayout {
                Layout.preferredWidth: 300
                Layout.maximumWidth: 300
                Layout.fillHeight: true
                spacing: 12

                Loader {
                    Layout.fillWidth: true
                    visible: window.dashboard !== null
                    Component.onCompleted: if (window.dashboard) setSource("EmbeddedControls.qml", { "dashboard": window.dashboard })
                }
                Loader {
                    Layout.fillWidth: true
                    visible: window.watcher !== null
                    Component.onCompleted: if (window.watcher) setSource("WatchCard.qml", { "watcher": window.watcher })
                }
                Item { Layout.fillHeight: true }
            }

            // Centre: gauges, counters, charts; greyed while the figures
            // are the last good ones (a watched endpoint is down).
            ColumnLayout {
                objectName: "poolFigures"
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 12
                opacity: window.view.stale ? 0.45 : 1

                PoolNowCard {
                    Layout.fillWidth: true
                    view: window.view
                    clients: window.dashboard ? window.dashboard.generator.workers + (window.dashboard.generator.asyncEnabled ? 1 : 0) : 0
                }
                CountersCard {
                    Layout.fillWidth: true
                    view: window.view
                    since: window.dashboard ? "since pool #" + window.dashboard.poolGeneration + " started"
                                            : "totals and rates per second"
                }
                ConnectionsChartCard {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    view: window.view
                }
                RowLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    spacing: 12
                    LatencyChartCard {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        view: window.view
                        subtitle: window.watcher ? "wait buckets · ms, log scale" : "ms, log scale"
                    }
                    HitRateChartCard {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        view: window.view
                    }
                }
            }

            // Right: every connection, then the event log.
            ColumnLayout {
                Layout.preferredWidth: 340
                Layout.maximumWidth: 340
                Layout.fillHeight: true
                spacing: 12

                // Per-connection rows exist only for the embedded pool
                // (metrics carry no connection list).
                Loader {
                    Layout.fillWidth: true
                    Layout.preferredHeight: 250
                    visible: window.dashboard !== null
                    Component.onCompleted: if (window.dashboard) setSource("ConnectionListCard.qml", { "pool": Qt.binding(() => window.dashboard.pool) })
                }
                ResilienceCard {
                    Layout.fillWidth: true
                    view: window.view
                    opacity: window.view.stale ? 0.45 : 1
                }
                EventLogCard {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    monitor: window.monitor
                }
            }
        }
    }
}
