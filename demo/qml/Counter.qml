// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts

// One of the pool's counters: its name, value and (when rate >= 0) its rate
// per second; `alarm` tints it when non-zero.
Rectangle {
    id: counter
    property string label
    property real value: 0
    property real rate: -1
    property bool alarm: false

    readonly property bool raised: alarm && value > 0
    Layout.fillWidth: true
    implicitHeight: counter.rate >= 0 ? 62 : 50
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
        Text {
            objectName: "rate"
            visible: counter.rate >= 0
            text: (counter.rate > 0 && counter.rate < 10 ? counter.rate.toFixed(1) : counter.rate.toFixed(0)) + " /s"
            color: counter.raised ? Theme.error : Theme.info
            font.pixelSize: 11
        }
    }
}
