// SPDX-License-Identifier: MIT
import QtQuick

// An arc gauge: value against a maximum (e.g. active against max_size).
Item {
    id: gauge
    property string label
    property real value: 0
    property real maximum: 1
    property string maximumLabel
    property color color: Theme.accent

    implicitWidth: 150
    implicitHeight: 128
    onValueChanged: canvas.requestPaint()
    onMaximumChanged: canvas.requestPaint()

    Canvas {
        id: canvas
        anchors.fill: parent
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            const cx = width / 2, cy = height * 0.5
            const r = Math.min(width / 2, height * 0.5) - 8
            const start = Math.PI * 0.75, span = Math.PI * 1.5
            ctx.lineWidth = 10
            ctx.lineCap = "round"
            ctx.strokeStyle = Theme.track
            ctx.beginPath()
            ctx.arc(cx, cy, r, start, start + span, false)
            ctx.stroke()
            const fraction = Math.max(0, Math.min(1, gauge.maximum > 0 ? gauge.value / gauge.maximum : 0))
            if (fraction > 0) {
                ctx.strokeStyle = gauge.color
                ctx.beginPath()
                ctx.arc(cx, cy, r, start, start + span * fraction, false)
                ctx.stroke()
            }
        }
    }
    Column {
        anchors.horizontalCenter: parent.horizontalCenter
        y: parent.height * 0.5 - 22
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: Math.round(gauge.value)
            color: Theme.text
            font.pixelSize: 28
            font.bold: true
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: gauge.maximumLabel
            color: Theme.dim
            font.pixelSize: 11
        }
    }
    Text {
        anchors { horizontalCenter: parent.horizontalCenter; bottom: parent.bottom }
        text: gauge.label
        color: gauge.color
        font.pixelSize: 13
        font.bold: true
    }
}
