// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The last 60 s of acquire latency, p50 and p99, on a log scale.
Card {
    id: root
    required property PoolView view

    title: "Acquire latency"
    Chart {
        Layout.fillWidth: true
        Layout.fillHeight: true
        times: root.view.timeHistory
        seconds: root.view.historySeconds
        decimals: 2
        logScale: true
        series: [
            { label: "p50", color: Theme.p50, values: root.view.p50History, suffix: " ms" },
            { label: "p99", color: Theme.p99, values: root.view.p99History, suffix: " ms" }
        ]
    }
}
