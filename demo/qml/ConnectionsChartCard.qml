// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The last 60 s of active, idle and waiting.
Card {
    id: root
    required property Dashboard dashboard

    title: "Connections"
    Chart {
        Layout.fillWidth: true
        Layout.fillHeight: true
        times: root.dashboard.timeHistory
        seconds: root.dashboard.historySeconds
        minimumMax: root.dashboard.pool.maxSize
        series: [
            { label: "active", color: Theme.active, values: root.dashboard.activeHistory },
            { label: "idle", color: Theme.idle, values: root.dashboard.idleHistory },
            { label: "waiting", color: Theme.waiting, values: root.dashboard.waitingHistory }
        ]
    }
}
