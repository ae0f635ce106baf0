import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// The circuit breaker and leak reports, the wait/create/hold histograms'
// p50, p99 and max, and the closes by reason.
Card {
    id: root
    required property SocketPool pool

    title: "Resilience and latency"
    subtitle: "pool histograms"
    RowLayout {
        Layout.fillWidth: true
        spacing: 10
        Rectangle {
            id: breakerTile
            objectName: "breakerTile"
            readonly property bool open: root.pool.circuitOpen
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
                Text { text: root.pool.publishedStats.circuitOpens + " opens"; color: Theme.dim; font.pixelSize: 11 }
                Text { text: root.pool.publishedStats.circuitRejects + " rejects"; color: Theme.dim; font.pixelSize: 11 }
                Text { text: root.pool.publishedStats.leaksSuspected + " leaks"; color: Theme.dim; font.pixelSize: 11 }
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
            Text { objectName: "waitP50"; text: latencyGrid.ms(root.pool.publishedStats.waitP50Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.waitP99Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.waitMaxUsecs); color: Theme.dim; font.pixelSize: 12 }
            Text { text: "create"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.createP50Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.createP99Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.createMaxUsecs); color: Theme.dim; font.pixelSize: 12 }
            Text { text: "hold"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.holdP50Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.holdP99Usecs); color: Theme.text; font.pixelSize: 12 }
            Text { text: latencyGrid.ms(root.pool.publishedStats.holdMaxUsecs); color: Theme.dim; font.pixelSize: 12 }
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
                readonly property real value: root.pool.publishedStats[modelData.key]
                Text {
                    text: parent.value.toLocaleString(Qt.locale("C"), "f", 0); font.pixelSize: 14; font.bold: true
                    color: modelData.alarm && parent.value > 0 ? Theme.error : Theme.text
                }
                Text { text: modelData.label; color: Theme.dim; font.pixelSize: 11 }
            }
        }
    }
}
