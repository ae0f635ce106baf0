// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The pool at this moment: open, active, idle and waiting against their
// limits, and the latest acquire latency and hit rate.
Card {
    id: root
    required property PoolView view
    // The embedded load's clients (the waiting gauge's limit); 0 when unknown.
    property int clients: 0
    // The figures, untyped: a QVariantMap.
    readonly property var stats: root.view.stats
    readonly property int maxSize: root.stats.currentMaxSize || 0
    readonly property int maxIdle: root.stats.currentMaxIdle === undefined || root.stats.currentMaxIdle < 0
                                   ? root.maxSize : root.stats.currentMaxIdle
    function count(key) { return root.stats[key] || 0 }

    title: "Pool now" + (root.view.name.length > 0 ? " · " + root.view.name : "")
    subtitle: "max_size " + root.maxSize + " · max_idle " + root.maxIdle
    RowLayout {
        Layout.fillWidth: true
        Gauge {
            objectName: "gaugeOpen"
            Layout.fillWidth: true
            label: "open"
            color: Theme.open
            value: root.count("openCount")
            maximum: root.maxSize
            maximumLabel: "of " + root.maxSize + " max_size"
        }
        Gauge {
            objectName: "gaugeActive"
            Layout.fillWidth: true
            label: "active"
            color: Theme.active
            value: root.count("activeCount")
            maximum: root.maxSize
            maximumLabel: "of " + root.maxSize + " max_size"
        }
        Gauge {
            objectName: "gaugeIdle"
            Layout.fillWidth: true
            label: "idle"
            color: Theme.idle
            value: root.count("idleCount")
            maximum: root.maxIdle
            maximumLabel: "of " + root.maxIdle + " max_idle"
        }
        Gauge {
            objectName: "gaugeWaiting"
            Layout.fillWidth: true
            label: "waiting"
            color: Theme.waiting
            value: root.count("waitingCount")
            maximum: root.clients > 0 ? root.clients : Math.max(1, root.count("waitingCount"))
            maximumLabel: root.clients > 0 ? "of " + root.clients + " clients" : "gets waiting"
        }
        ColumnLayout {
            Layout.preferredWidth: 150
            spacing: 2
            Text { text: "acquire latency"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: "p50 " + root.view.latencyP50.toFixed(2) + " ms"; color: Theme.p50; font.pixelSize: 18; font.bold: true }
            Text { text: "p99 " + root.view.latencyP99.toFixed(2) + " ms"; color: Theme.p99; font.pixelSize: 18; font.bold: true }
            Text { text: "hit rate"; color: Theme.dim; font.pixelSize: 12; Layout.topMargin: 6 }
            Text { text: root.view.hitRate.toFixed(1) + " %"; color: Theme.hitRate; font.pixelSize: 18; font.bold: true }
        }
    }
}
