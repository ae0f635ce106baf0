// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The title row in watch mode: the URL watched, the status pill (green: the
// last scrape was read; red: down, garbage, too big or too slow, with the
// next retry), the pools found, scrapes and uptime.
RowLayout {
    id: root
    required property Watcher watcher

    spacing: 16
    Text { text: "connpool"; color: Theme.accent; font.pixelSize: 22; font.bold: true }
    Text { text: "dashboard"; color: Theme.text; font.pixelSize: 22 }
    Rectangle {
        radius: 10; implicitHeight: 22; implicitWidth: urlText.implicitWidth + 20
        color: Theme.inset; border.color: Theme.cardBorder
        Text {
            id: urlText; anchors.centerIn: parent; color: Theme.text; font.pixelSize: 12
            text: "watching " + root.watcher.url
        }
    }
    Rectangle {
        id: pill
        objectName: "statusPill"
        readonly property string status: root.watcher.status
        readonly property color tone: status === "up" ? Theme.idle : status === "down" ? Theme.error : Theme.warning
        Layout.maximumWidth: 640
        radius: 10; implicitHeight: 22; implicitWidth: statusText.implicitWidth + 20
        color: Theme.tint(pill.tone, 0.2)
        border.color: pill.tone
        Text {
            id: statusText
            objectName: "statusText"
            anchors.centerIn: parent
            width: Math.min(implicitWidth, 620)
            elide: Text.ElideRight
            font.pixelSize: 12
            color: Theme.text
            text: (pill.status === "up" ? "up · " : pill.status === "down" ? "DOWN: " : "") + root.watcher.statusText
        }
    }
    Item { Layout.fillWidth: true }
    Text {
        color: Theme.dim; font.pixelSize: 12
        text: root.watcher.poolNames.length + " pools  ·  every " + root.watcher.interval / 1000 + " s  ·  "
              + root.watcher.scrapes + " scrapes  ·  up " + Math.floor(root.watcher.uptime) + " s"
    }
}
