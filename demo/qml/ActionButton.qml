// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls

// A flat button in the dashboard's colours.
Button {
    id: button
    property color tint: Theme.accent
    implicitHeight: 30
    font.pixelSize: Theme.fontSize
    contentItem: Text {
        text: button.text
        font: button.font
        color: button.enabled ? Theme.text : Theme.dim
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }
    background: Rectangle {
        radius: 5
        color: button.down ? Qt.darker(button.tint, 1.6) : Theme.tint(button.tint, button.hovered ? 0.35 : 0.22)
        border.color: button.enabled ? button.tint : Theme.track
        opacity: button.enabled ? 1 : 0.5
    }
}
