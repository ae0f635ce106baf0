// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The last 60 s of active, idle and waiting.
Card {
    id: root
    required property PoolView view
    // The figures, untyped: a QVariantMap.
    readonly property var stats: root.view.stats

    title: "Connections"
    Chart {
        Layout.fillWidth: true
        Layout.fillHeight: true
        times: root.view.timeHistory
        seconds: root.view.historySeconds
        minimumMax: root.stats.currentMaxSize || 1
        series: [
            { label: "active", color: Theme.active, values: root.view.activeHistory },
            { label: "idle", color: Theme.idle, values: root.view.idleHistory },
            { label: "waiting", color: Theme.waiting, values: root.view.waitingHistory }
        ]
    }
}
