// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts

// A time-series chart of the last `seconds` (the newest sample at "now"),
// drawn with Canvas. times: when each sample was taken (s); series:
// [{ label, color, values, suffix }], values parallel to times.
Item {
    id: chart
    property var series: []
    property var times: []
    property real seconds: 60
    // Log scale (for latencies): from logMinimum up, a decade per grid line.
    property bool logScale: false
    property real logMinimum: 0.01
    // The y axis goes at least to minimumMax; fixedMax > 0 pins it.
    property real minimumMax: 1
    property real fixedMax: 0
    property int decimals: 0

    onSeriesChanged: canvas.requestPaint()
    onWidthChanged: canvas.requestPaint()
    onHeightChanged: canvas.requestPaint()

    function niceMax(v) {
        if (fixedMax > 0) return fixedMax
        v = Math.max(v, minimumMax)
        const p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10))
        for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p
        return 10 * p
    }

    RowLayout {
        id: legend
        anchors { left: parent.left; right: parent.right; top: parent.top }
        spacing: 14
        Repeater {
            model: chart.series
            RowLayout {
                id: entry
                required property var modelData
                spacing: 5
                Rectangle { width: 10; height: 10; radius: 2; color: entry.modelData.color }
                Text {
                    readonly property var values: entry.modelData.values
                    text: entry.modelData.label + "  "
                          + (values.length ? values[values.length - 1].toFixed(chart.decimals) : "–")
                          + (entry.modelData.suffix || "")
                    color: Theme.text
                    font.pixelSize: 12
                }
            }
        }
        Item { Layout.fillWidth: true }
        Text { text: "last 60 s"; color: Theme.dim; font.pixelSize: 11 }
    }

    Canvas {
        id: canvas
        anchors { left: parent.left; right: parent.right; top: legend.bottom; bottom: parent.bottom; topMargin: 6 }
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            const left = 40, right = width - 4, top = 6, bottom = height - 16
            let max = 0
            for (const s of chart.series) for (const v of s.values) max = Math.max(max, v)
            max = chart.niceMax(max)
            const lg = v => Math.log(v) / Math.LN10
            const decades = chart.logScale ? Math.max(1, Math.ceil(lg(max) - lg(chart.logMinimum))) : 4
            // The fraction of the y axis for v.
            const level = v => chart.logScale
                ? Math.max(0, Math.min(1, (lg(Math.max(v, chart.logMinimum)) - lg(chart.logMinimum)) / decades))
                : Math.min(1, v / max)
            ctx.font = "10px sans-serif"
            ctx.lineWidth = 1
            // Grid and y labels.
            for (let i = 0; i <= decades; ++i) {
                const y = bottom - (bottom - top) * i / decades
                ctx.strokeStyle = i === 0 ? Theme.line : Theme.grid
                ctx.beginPath(); ctx.moveTo(left, y + 0.5); ctx.lineTo(right, y + 0.5); ctx.stroke()
                ctx.fillStyle = Theme.dim
                const label = chart.logScale ? chart.logMinimum * Math.pow(10, i) : max * i / 4
                ctx.fillText(chart.logScale ? Number(label.toPrecision(1)).toString()
                                            : Number.isInteger(label) ? label.toString() : label.toFixed(1), 4, y + 3)
            }
            // x labels: seconds ago.
            const xOf = ago => left + (right - left) * (1 - ago / chart.seconds)
            for (let sec = chart.seconds; sec >= 0; sec -= 15) {
                ctx.fillStyle = Theme.dim
                ctx.fillText(sec === 0 ? "now" : "-" + sec + "s", Math.min(xOf(sec) - 8, right - 20), height - 3)
            }
            // Series: the newest sample is at "now"; older ones are clipped.
            ctx.save()
            ctx.beginPath(); ctx.rect(left, 0, right - left, height); ctx.clip()
            const times = chart.times
            const now = times.length ? times[times.length - 1] : 0
            for (const s of chart.series) {
                const n = Math.min(s.values.length, times.length)
                if (n < 1) continue
                ctx.strokeStyle = s.color
                ctx.lineWidth = 2
                ctx.lineJoin = "round"
                ctx.beginPath()
                for (let i = 0; i < n; ++i) {
                    const x = xOf(now - times[i])
                    const y = bottom - (bottom - top) * level(s.values[i])
                    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y)
                }
                ctx.stroke()
            }
            ctx.restore()
        }
    }
}
