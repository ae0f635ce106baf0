pragma Singleton
import QtQuick

// Colours and sizes shared by the dashboard's components.
QtObject {
    readonly property color background: "#0f1318"
    readonly property color card: "#181e26"
    readonly property color cardBorder: "#263040"
    readonly property color track: "#2a3441"
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
}
