import QtQuick
import QtQuick.Layouts

// A time-series chart of the last `capacity` samples (oldest on the left),
// drawn with Canvas. series: [{ label, color, values, suffix }].
Item {
    id: chart
    property var series: []
    property int capacity: 120
    property real sampleSeconds: 0.5
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
                spacing: 5
                Rectangle { width: 10; height: 10; radius: 2; color: modelData.color }
                Text {
                    readonly property var values: modelData.values
                    text: modelData.label + "  " + (values.length ? values[values.length - 1].toFixed(chart.decimals) : "–") + (modelData.suffix || "")
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
            ctx.font = "10px sans-serif"
            ctx.lineWidth = 1
            // Grid and y labels.
            for (let i = 0; i <= 4; ++i) {
                const y = bottom - (bottom - top) * i / 4
                ctx.strokeStyle = i === 0 ? "#3a4656" : "#242d39"
                ctx.beginPath(); ctx.moveTo(left, y + 0.5); ctx.lineTo(right, y + 0.5); ctx.stroke()
                ctx.fillStyle = Theme.dim
                const label = max * i / 4
                ctx.fillText(Number.isInteger(label) ? label.toString() : label.toFixed(1), 4, y + 3)
            }
            // x labels: seconds ago.
            for (let sec = 60; sec >= 0; sec -= 15) {
                const x = left + (right - left) * (1 - sec / (chart.capacity * chart.sampleSeconds))
                ctx.fillStyle = Theme.dim
                ctx.fillText(sec === 0 ? "now" : "-" + sec + "s", Math.min(x - 8, right - 20), height - 3)
            }
            // Series, right-aligned: the newest sample is at "now".
            for (const s of chart.series) {
                const n = s.values.length
                if (n < 1) continue
                const step = (right - left) / (chart.capacity - 1)
                ctx.strokeStyle = s.color
                ctx.lineWidth = 2
                ctx.lineJoin = "round"
                ctx.beginPath()
                for (let i = 0; i < n; ++i) {
                    const x = right - (n - 1 - i) * step
                    const y = bottom - (bottom - top) * Math.min(1, s.values[i] / max)
                    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y)
                }
                ctx.stroke()
            }
        }
    }
}
