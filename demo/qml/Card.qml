// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts

// A titled panel; children go into its column.
Rectangle {
    id: card
    property string title
    property string subtitle
    default property alias content: column.data
    property alias spacing: column.spacing

    color: Theme.card
    border.color: Theme.cardBorder
    radius: Theme.radius
    implicitWidth: column.implicitWidth + 28
    implicitHeight: column.implicitHeight + header.implicitHeight + 30

    RowLayout {
        id: header
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: 14; topMargin: 10 }
        Text {
            text: card.title
            color: Theme.text
            font.pixelSize: 14
            font.bold: true
        }
        Item { Layout.fillWidth: true }
        Text {
            text: card.subtitle
            color: Theme.dim
            font.pixelSize: 12
        }
    }
    ColumnLayout {
        id: column
        anchors { left: parent.left; right: parent.right; top: header.bottom; bottom: parent.bottom; margins: 14; topMargin: 8; bottomMargin: 12 }
        spacing: 8
    }
}
