// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// Faults on the embedded echo server (kill, restart, reset every connection,
// a delay per request) and a drain of the pool; against an external server
// only the drain.
Card {
    id: root
    required property Dashboard dashboard
    readonly property EchoServer server: root.dashboard.server

    title: "Fault injection"
    subtitle: root.server ? "embedded server" : "external server: drain only"
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
            enabled: root.server !== null && root.server.running
            onClicked: { root.server.kill(); root.dashboard.log("warning", "echo server killed: connections closed, connects refused") }
        }
        ActionButton {
            objectName: "restartButton"
            Layout.fillWidth: true
            text: "Restart server"
            tint: Theme.idle
            enabled: root.server !== null && !root.server.running
            onClicked: root.dashboard.log(root.server.restart() ? "info" : "error",
                                     root.server.running ? "echo server restarted" : "echo server could not listen again")
        }
        ActionButton {
            objectName: "resetButton"
            Layout.fillWidth: true
            text: "Reset all (RST)"
            tint: Theme.warning
            enabled: root.server !== null && root.server.running
            onClicked: { root.server.resetConnections(); root.dashboard.log("warning", "server reset every connection") }
        }
        ActionButton {
            objectName: "drainButton"
            Layout.fillWidth: true
            text: "Drain pool"
            tint: Theme.accent
            enabled: true
            onClicked: root.dashboard.drain()
        }
    }
    LabeledSlider {
        objectName: "delayControl"
        enabled: root.server !== null
        label: "server delay per request"
        from: 0; to: 2000; stepSize: 10
        value: root.server ? root.server.delay : 0
        valueText: value + " ms"
        onMoved: root.server.delay = value
        onPressedChanged: if (!pressed && root.server) root.dashboard.log("info", "server delay set to " + value + " ms")
    }
}
