// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts

// One of the pool's counters: its name and value; `alarm` tints it when
// non-zero.
Rectangle {
    id: counter
    property string label
    property real value: 0
    property bool alarm: false

    readonly property bool raised: alarm && value > 0
    Layout.fillWidth: true
    implicitHeight: 50
    radius: 6
    color: raised ? Theme.tint(Theme.error, 0.15) : Theme.inset
    border.color: raised ? Theme.error : "transparent"

    Column {
        anchors { left: parent.left; leftMargin: 10; verticalCenter: parent.verticalCenter }
        spacing: 1
        Text {
            text: counter.value.toLocaleString(Qt.locale("C"), "f", 0)
            color: counter.raised ? Theme.error : Theme.text
            font.pixelSize: 18
            font.bold: true
        }
        Text {
            text: counter.label
            color: Theme.dim
            font.pixelSize: 11
        }
    }
}
