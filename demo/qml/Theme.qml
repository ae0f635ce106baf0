// SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick

// Colours and sizes shared by the dashboard's components: every colour the
// QML uses is named here.
QtObject {
    readonly property color background: "#0f1318"
    readonly property color card: "#181e26"
    readonly property color cardBorder: "#263040"
    readonly property color track: "#2a3441"
    // Inside a card: tiles, list rows, the header's badges.
    readonly property color inset: "#1f2630"
    // A chart's axis, the palette's mid and light lines.
    readonly property color line: "#3a4656"
    // A chart's grid.
    readonly property color grid: "#242d39"
    // Text on the accent colour; a pressed slider handle.
    readonly property color bright: "#ffffff"
    readonly property color text: "#e6eaf0"
    readonly property color dim: "#8b97a8"
    readonly property color accent: "#4aa3ff"
    readonly property color active: "#ff9f43"
    readonly property color idle: "#2ecc71"
    readonly property color waiting: "#ff5c7a"
    readonly property color open: "#4aa3ff"
    readonly property color p50: "#4aa3ff"
    readonly property color p99: "#c084fc"
    readonly property color hitRate: "#2ecc71"
    readonly property color error: "#ff5c7a"
    readonly property color warning: "#ffc145"
    readonly property color info: "#7fb6ff"
    readonly property int radius: 8
    readonly property int fontSize: 13

    // A translucent wash of `color` behind a tile or badge that shows a state.
    function tint(color, alpha) { return Qt.rgba(color.r, color.g, color.b, alpha) }
}
