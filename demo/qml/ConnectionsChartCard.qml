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
        times: dashboard.timeHistory
        seconds: dashboard.historySeconds
        minimumMax: dashboard.pool.maxSize
        series: [
            { label: "active", color: Theme.active, values: dashboard.activeHistory },
            { label: "idle", color: Theme.idle, values: dashboard.idleHistory },
            { label: "waiting", color: Theme.waiting, values: dashboard.waitingHistory }
        ]
    }
}
