import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// The pool at this moment: open, active, idle and waiting against their
// limits, and the latest acquire latency and hit rate.
Card {
    id: root
    required property Dashboard dashboard
    readonly property SocketPool pool: dashboard.pool
    readonly property LoadGenerator load: dashboard.generator

    title: "Pool now"
    subtitle: "max_size " + pool.maxSize + " · max_idle " + (pool.maxIdle < 0 ? pool.maxSize : pool.maxIdle)
    RowLayout {
        Layout.fillWidth: true
        Gauge { Layout.fillWidth: true; label: "open"; color: Theme.open; value: pool.openCount; maximum: pool.maxSize; maximumLabel: "of " + pool.maxSize + " max_size" }
        Gauge { Layout.fillWidth: true; label: "active"; color: Theme.active; value: pool.activeCount; maximum: pool.maxSize; maximumLabel: "of " + pool.maxSize + " max_size" }
        Gauge {
            Layout.fillWidth: true; label: "idle"; color: Theme.idle; value: pool.idleCount
            readonly property int limit: pool.maxIdle < 0 ? pool.maxSize : pool.maxIdle
            maximum: limit; maximumLabel: "of " + limit + " max_idle"
        }
        Gauge { Layout.fillWidth: true; label: "waiting"; color: Theme.waiting; value: pool.waitingCount; maximum: Math.max(1, load.workers + 1); maximumLabel: "of " + (load.workers + (load.asyncEnabled ? 1 : 0)) + " clients" }
        ColumnLayout {
            Layout.preferredWidth: 150
            spacing: 2
            Text { text: "acquire latency"; color: Theme.dim; font.pixelSize: 12 }
            Text { text: "p50 " + dashboard.latencyP50.toFixed(2) + " ms"; color: Theme.p50; font.pixelSize: 18; font.bold: true }
            Text { text: "p99 " + dashboard.latencyP99.toFixed(2) + " ms"; color: Theme.p99; font.pixelSize: 18; font.bold: true }
            Text { text: "hit rate"; color: Theme.dim; font.pixelSize: 12; Layout.topMargin: 6 }
            Text { text: dashboard.hitRate.toFixed(1) + " %"; color: Theme.hitRate; font.pixelSize: 18; font.bold: true }
        }
    }
}
