// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The dashboard's events, newest first; a repeated message is counted
// (×n) rather than listed again. Keeps the latest 200.
Card {
    id: root
    required property PoolMonitor monitor

    title: "Events"
    subtitle: events.count + " entries"

    ListModel { id: events }
    Connections {
        target: root.monitor
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

    ListView {
        objectName: "eventLog"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        spacing: 4
        model: events
        delegate: Rectangle {
            id: entry
            required property string severity
            required property string message
            required property string time
            required property int count
            width: ListView.view.width
            implicitHeight: line.implicitHeight + 10
            radius: 4
            color: Theme.inset
            Rectangle {
                width: 3; height: parent.height; radius: 1
                color: entry.severity === "error" ? Theme.error : entry.severity === "warning" ? Theme.warning : Theme.info
            }
            Text {
                id: line
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; leftMargin: 10; rightMargin: 6 }
                wrapMode: Text.Wrap
                font.pixelSize: 12
                color: Theme.text
                textFormat: Text.PlainText
                text: entry.time + "  " + entry.message + (entry.count > 1 ? "  ×" + entry.count : "")
            }
        }
    }
}
