// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import ConnPoolDemo

// Watch mode's controls: the /metrics URL (enter another and press Watch
// or Enter), and the pools found there, all of them at a glance; the one
// picked is what the cards show.
Card {
    id: root
    required property Watcher watcher

    title: "Watch"
    subtitle: "a program's /metrics"
    Text {
        Layout.fillWidth: true
        wrapMode: Text.Wrap
        color: Theme.dim
        font.pixelSize: 12
        text: "Serve MetricsEndpoint (or connpool::to_openmetrics) in your program and enter its URL."
    }
    TextField {
        id: urlField
        objectName: "urlField"
        Layout.fillWidth: true
        text: root.watcher.url
        selectByMouse: true
        placeholderText: "http://127.0.0.1:9464/metrics"
        onAccepted: root.watcher.setUrl(urlField.text)
    }
    ActionButton {
        objectName: "watchButton"
        Layout.fillWidth: true
        text: "Watch this URL"
        onClicked: root.watcher.setUrl(urlField.text)
    }
    Text {
        objectName: "poolNames"
        Layout.fillWidth: true
        Layout.topMargin: 4
        wrapMode: Text.Wrap
        color: Theme.dim
        font.pixelSize: 12
        text: root.watcher.poolNames.length > 0 ? "pools (pool_name): " + Array.from(root.watcher.poolNames).join(", ") : "no pool seen yet"
    }
    ComboBox {
        objectName: "poolPicker"
        Layout.fillWidth: true
        visible: root.watcher.poolNames.length > 0
        model: root.watcher.poolNames
        currentIndex: root.watcher.selected
        onActivated: index => root.watcher.selected = index
    }
    Repeater {
        model: root.watcher.summaries
        Rectangle {
            id: row
            required property var modelData
            objectName: "summary_" + row.modelData.name
            Layout.fillWidth: true
            implicitHeight: 54
            radius: 5
            color: Theme.inset
            opacity: row.modelData.stale ? 0.45 : 1
            Column {
                anchors { left: parent.left; leftMargin: 8; verticalCenter: parent.verticalCenter }
                spacing: 1
                Text { text: row.modelData.name; color: Theme.text; font.pixelSize: 12; font.bold: true }
                Text {
                    color: Theme.dim
                    font.pixelSize: 11
                    text: row.modelData.getsRate.toFixed(0) + " gets/s · open " + row.modelData.open + " of " + row.modelData.maxSize
                }
                Text {
                    color: Theme.dim
                    font.pixelSize: 11
                    text: "waiting " + row.modelData.waiting + " · wait p99 " + row.modelData.waitP99Ms.toFixed(2) + " ms"
                }
            }
        }
    }
}
