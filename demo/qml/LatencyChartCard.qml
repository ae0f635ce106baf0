// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The last 60 s of acquire latency, p50 and p99, on a log scale.
Card {
    id: root
    required property Dashboard dashboard

    title: "Acquire latency"
    subtitle: "ms, log scale"
    Chart {
        Layout.fillWidth: true
        Layout.fillHeight: true
        times: root.dashboard.timeHistory
        seconds: root.dashboard.historySeconds
        decimals: 2
        logScale: true
        series: [
            { label: "p50", color: Theme.p50, values: root.dashboard.p50History, suffix: " ms" },
            { label: "p99", color: Theme.p99, values: root.dashboard.p99History, suffix: " ms" }
        ]
    }
}
