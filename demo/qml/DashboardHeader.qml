// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The title row: what the pool talks to, the embedded server's state, and
// the pool generation, worker threads, round trips and uptime.
RowLayout {
    id: root
    required property Dashboard dashboard
    readonly property EchoServer server: root.dashboard.server
    readonly property LoadGenerator load: root.dashboard.generator
    // Untyped: qmllint 6.4 knows no QML type for 64-bit integers (quint64).
    readonly property var board: root.dashboard

    spacing: 16
    Text { text: "connpool"; color: Theme.accent; font.pixelSize: 22; font.bold: true }
    Text { text: "dashboard"; color: Theme.text; font.pixelSize: 22 }
    Rectangle {
        radius: 10; implicitHeight: 22; implicitWidth: targetText.implicitWidth + 20
        color: Theme.inset; border.color: Theme.cardBorder
        Text {
            id: targetText; anchors.centerIn: parent; color: Theme.text; font.pixelSize: 12
            text: (root.server ? "embedded echo server " : "server ") + root.dashboard.target
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
        text: "pool #" + root.dashboard.poolGeneration
              + (root.dashboard.retiringPools > 0 ? " (" + root.dashboard.retiringPools + " draining)" : "")
              + "  ·  " + root.load.runningThreads + " worker threads  ·  "
              + root.board.roundTrips.toLocaleString(Qt.locale("C"), "f", 0) + " round trips  ·  up "
              + Math.floor(root.dashboard.uptime) + " s"
    }
}
