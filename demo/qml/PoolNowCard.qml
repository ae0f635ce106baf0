// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// The pool at this moment: open, active, idle and waiting against their
// limits, and the latest acquire latency and hit rate.
Card {
    id: root
    required property Dashboard dashboard
    readonly property SocketPool pool: root.dashboard.pool
    readonly property LoadGenerator load: root.dashboard.generator

    title: "Pool now"
    subtitle: "max_size " + root.pool.maxSize + " · max_idle " + (root.pool.maxIdle < 0 ? root.pool.maxSize : root.pool.maxIdle)
    RowLayout {
        Layout.fillWidth: true
        Gauge {
            Layout.fillWidth: true
            label: "open"
            color: Theme.open
            value: root.pool.openCount
            maximum: root.pool.maxSize
            maximumLabel: "of " + root.pool.maxSize + " max_size"
        }
        Gauge {
            Layout.fillWidth: true
            label: "active"
            color: Theme.active
            value: root.pool.activeCount
            maximum: root.pool.maxSize
            maximumLabel: "of " + root.pool.maxSize + " max_size"
        }
        Gauge {
            readonly property int limit: root.pool.maxIdle < 0 ? root.pool.maxSize : root.pool.maxIdle
            Layout.fillWidth: true
            label: "idle"
            color: Theme.idle
            value: root.pool.idleCount
            maximum: limit
            maximumLabel: "of " + limit + " max_idle"
        }
        Gauge {
            Layout.fillWidth: true
            label: "waiting"
            color: Theme.waiting
            value: root.pool.waitingCount
            maximum: Math.max(1, root.load.workers + 1)
            maximumLabel: "of " + (root.load.workers + (root.load.asyncEnabled ? 1 : 0)) + " clients"
        }
        ColumnLayout {
            Layout.preferredWidth: 150
            spacing: 2
            Text { text: "acquire latency"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: "p50 " + root.dashboard.latencyP50.toFixed(2) + " ms"; color: Theme.p50; font.pixelSize: 18; font.bold: true }
            Text { text: "p99 " + root.dashboard.latencyP99.toFixed(2) + " ms"; color: Theme.p99; font.pixelSize: 18; font.bold: true }
            Text { text: "hit rate"; color: Theme.dim; font.pixelSize: 12; Layout.topMargin: 6 }
            Text { text: root.dashboard.hitRate.toFixed(1) + " %"; color: Theme.hitRate; font.pixelSize: 18; font.bold: true }
        }
    }
}
