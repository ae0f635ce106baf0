// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The circuit breaker and leak reports, the wait/create/hold histograms'
// p50, p99 and max, and the closes by reason. A watched program's metrics
// have buckets, not a max: the max column shows the bucket bound it is under.
Card {
    id: root
    required property PoolView view
    // The figures, untyped: a QVariantMap.
    readonly property var stats: root.view.stats
    function count(key) { return root.stats[key] || 0 }

    // One reason's count of closes; `alarm` tints it when not zero.
    component CloseCount: Column {
        id: count
        property string label
        property real value
        property bool alarm: false
        Layout.fillWidth: true
        Text {
            text: count.value.toLocaleString(Qt.locale("C"), "f", 0); font.pixelSize: 14; font.bold: true
            color: count.alarm && count.value > 0 ? Theme.error : Theme.text
        }
        Text { text: count.label; color: Theme.dim; font.pixelSize: 11 }
    }

    title: "Resilience and latency"
    subtitle: root.view.latencySource
    RowLayout {
        Layout.fillWidth: true
        spacing: 10
        Rectangle {
            id: breakerTile
            objectName: "breakerTile"
            readonly property bool open: root.stats.circuitOpen === true
            Layout.preferredWidth: 112
            implicitHeight: 66
            radius: 6
            color: open ? Theme.tint(Theme.error, 0.25) : Theme.inset
            border.color: open ? Theme.error : Theme.cardBorder
            Column {
                anchors { left: parent.left; leftMargin: 8; verticalCenter: parent.verticalCenter }
                spacing: 1
                Text {
                    text: breakerTile.open ? "BREAKER OPEN" : "breaker closed"; font.pixelSize: 13; font.bold: true
                    color: breakerTile.open ? Theme.error : Theme.idle
                }
                Text { text: root.count("circuitOpens") + " opens"; color: Theme.dim; font.pixelSize: 11 }
                Text { text: root.count("circuitRejects") + " rejects"; color: Theme.dim; font.pixelSize: 11 }
                Text { text: root.count("leaksSuspected") + " leaks"; color: Theme.dim; font.pixelSize: 11 }
            }
        }
        GridLayout {
            id: latencyGrid
            Layout.fillWidth: true
            columns: 4
            rowSpacing: 2
            columnSpacing: 8
            // "–" for a figure the source does not have (yet).
            function ms(us) { return us === undefined ? "–" : (us / 1000).toFixed(us < 10000 ? 2 : 1) }
            function max(kind) {
                const exact = root.stats[kind + "MaxUsecs"], bound = root.stats[kind + "MaxBoundUsecs"]
                return exact !== undefined ? ms(exact) : bound !== undefined ? "≤ " + ms(bound) : "–"
            }
            Text { text: "ms"; color: Theme.dim; font.pixelSize: 11 }
            Text { text: "p50"; color: Theme.p50; font.pixelSize: 12; font.bold: true }
            Text { text: "p99"; color: Theme.p99; font.pixelSize: 12; font.bold: true }
            Text { text: "max"; color: Theme.dim; font.pixelSize: 12; font.bold: true }
            Text { text: "wait"; color: Theme.dim; font.pixelSize: 12 }
            Text { objectName: "waitP50"; text: latencyGrid.ms(root.stats.waitP50Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { objectName: "waitP99"; text: latencyGrid.ms(root.stats.waitP99Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.max("wait"); color: Theme.dim; font.pixelSize: 12 }
            Text { text: "create"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.stats.createP50Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.stats.createP99Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.max("create"); color: Theme.dim; font.pixelSize: 12 }
            Text { text: "hold"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.stats.holdP50Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.stats.holdP99Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.max("hold"); color: Theme.dim; font.pixelSize: 12 }
        }
    }
    GridLayout {
        objectName: "closesByReason"
        Layout.fillWidth: true
        columns: 4
        rowSpacing: 4
        columnSpacing: 6
        CloseCount { label: "idle time"; value: root.count("closedIdleTime") }
        CloseCount { label: "max age"; value: root.count("closedMaxAge") }
        CloseCount { label: "ping failed"; value: root.count("closedPingFailed"); alarm: true }
        CloseCount { label: "discarded"; value: root.count("closedDiscarded") }
        CloseCount { label: "idle overflow"; value: root.count("closedIdleOverflow") }
        CloseCount { label: "pool closed"; value: root.count("closedPoolClosed") }
        CloseCount { label: "drained"; value: root.count("closedDrained") }
        CloseCount { label: "resized"; value: root.count("closedResized") }
    }
}
