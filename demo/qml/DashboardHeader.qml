import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// The title row: what the pool talks to, the embedded server's state, and
// the pool generation, worker threads, round trips and uptime.
RowLayout {
    id: root
    required property Dashboard dashboard
    readonly property EchoServer server: dashboard.server
    readonly property LoadGenerator load: dashboard.generator

    spacing: 16
    Text { text: "connpool"; color: Theme.accent; font.pixelSize: 22; font.bold: true }
    Text { text: "dashboard"; color: Theme.text; font.pixelSize: 22 }
    Rectangle {
        radius: 10; implicitHeight: 22; implicitWidth: targetText.implicitWidth + 20
        color: Theme.inset; border.color: Theme.cardBorder
        Text {
            id: targetText; anchors.centerIn: parent; color: Theme.text; font.pixelSize: 12
            text: (root.server ? "embedded echo server " : "server ") + dashboard.target
        }
    }
    Rectangle {
        visible: root.server !== null
        radius: 10; implicitHeight: 22; implicitWidth: serverText.implicitWidth + 20
        color: root.server && root.server.running ? Theme.tint(Theme.idle, 0.18) : Theme.tint(Theme.error, 0.2)
        border.color: root.server && root.server.running ? Theme.idle : Theme.error
        Text {
            id: serverText; anchors.centerIn: parent; font.pixelSize: 12; color: Theme.text
            text: !root.server ? "" : (root.server.running ? "server up" : "server DOWN") + " · "
                  + root.server.connections + " conns · delay " + root.server.delay + " ms"
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
