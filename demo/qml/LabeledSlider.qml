// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A slider with its name and current value on one line above it.
ColumnLayout {
    id: root
    property string label
    property alias from: slider.from
    property alias to: slider.to
    property alias stepSize: slider.stepSize
    property alias value: slider.value
    property alias slider: slider
    // The value as shown beside the label.
    property string valueText: Math.round(value).toString()
    property bool pending: false
    // The user moved the slider (not emitted for binding updates).
    signal moved()
    readonly property alias pressed: slider.pressed

    spacing: 0
    Layout.fillWidth: true

    RowLayout {
        Layout.fillWidth: true
        Text { text: root.label; color: Theme.dim; font.pixelSize: Theme.fontSize }
        Item { Layout.fillWidth: true }
        Text {
            text: root.valueText + (root.pending ? "  •" : "")
            color: root.pending ? Theme.warning : Theme.text
            font.pixelSize: Theme.fontSize
            font.bold: true
        }
    }
    Slider {
        id: slider
        Layout.fillWidth: true
        snapMode: Slider.SnapAlways
        onMoved: root.moved()
        implicitHeight: 20
        topPadding: 0
        bottomPadding: 0
        background: Rectangle {
            x: slider.leftPadding
            y: slider.topPadding + slider.availableHeight / 2 - height / 2
            width: slider.availableWidth
            height: 4
            radius: 2
            color: Theme.track
            Rectangle {
                width: slider.visualPosition * parent.width
                height: parent.height
                radius: 2
                color: Theme.accent
            }
        }
        handle: Rectangle {
            x: slider.leftPadding + slider.visualPosition * (slider.availableWidth - width)
            y: slider.topPadding + slider.availableHeight / 2 - height / 2
            width: 14
            height: 14
            radius: 7
            color: slider.pressed ? Theme.bright : Theme.text
            border.color: Theme.accent
            border.width: 2
        }
    }
}
