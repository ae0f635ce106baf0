// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The pool's counters, totals and per-second rates over the last interval;
// the failure counters are alarms, raised when not zero. A counter that went
// down (the program restarted, the pool was replaced) is shown as a reset.
Card {
    id: root
    required property PoolView view
    property string since
    // The figures and rates, untyped: QVariantMaps.
    readonly property var counts: root.view.stats
    readonly property var rates: root.view.rates
    function count(key) { return root.counts[key] || 0 }
    function rate(key) { const r = root.rates[key]; return r === undefined ? -1 : r }

    title: "Counters"
    subtitle: root.since
    Rectangle {
        objectName: "resetBadge"
        visible: root.view.resets > 0
        Layout.fillWidth: true
        implicitHeight: 24
        radius: 5
        color: Theme.tint(Theme.warning, 0.18)
        border.color: Theme.warning
        Text {
            anchors.centerIn: parent
            font.pixelSize: 12
            color: Theme.text
            text: "counters reset " + root.view.resets + "× (went down: the program restarted or the pool was replaced); rates count from the reset"
        }
    }
    GridLayout {
        Layout.fillWidth: true
        columns: 7
        columnSpacing: 8
        rowSpacing: 8
        Counter { objectName: "counter_gets"; label: "gets"; value: root.count("gets"); rate: root.rate("gets") }
        Counter { objectName: "counter_puts"; label: "puts"; value: root.count("puts"); rate: root.rate("puts") }
        Counter { objectName: "counter_hits"; label: "hits"; value: root.count("hits"); rate: root.rate("hits") }
        Counter { objectName: "counter_misses"; label: "misses"; value: root.count("misses"); rate: root.rate("misses") }
        Counter { objectName: "counter_waits"; label: "waits"; value: root.count("waits"); rate: root.rate("waits") }
        Counter { objectName: "counter_discards"; label: "discards"; value: root.count("discards"); rate: root.rate("discards") }
        Counter { objectName: "counter_maxActive"; label: "max active"; value: root.count("maxActive") }
        Counter { objectName: "counter_idleClosed"; label: "idle closed"; value: root.count("idleClosed"); rate: root.rate("idleClosed") }
        Counter { objectName: "counter_ageClosed"; label: "age closed"; value: root.count("ageClosed"); rate: root.rate("ageClosed") }
        Counter { objectName: "counter_timeouts"; label: "timeouts"; value: root.count("timeouts"); rate: root.rate("timeouts"); alarm: true }
        Counter { objectName: "counter_pingFailures"; label: "ping failures"; value: root.count("pingFailures"); rate: root.rate("pingFailures"); alarm: true }
        Counter { objectName: "counter_factoryFailures"; label: "factory failures"; value: root.count("factoryFailures"); rate: root.rate("factoryFailures"); alarm: true }
        Counter { objectName: "counter_closeTimeouts"; label: "close timeouts"; value: root.count("closeTimeouts"); rate: root.rate("closeTimeouts"); alarm: true }
    }
}
