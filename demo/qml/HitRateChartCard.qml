// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The last 60 s of hits per get, in percent.
Card {
    id: root
    required property PoolView view

    title: "Hit rate"
    Chart {
        Layout.fillWidth: true
        Layout.fillHeight: true
        times: root.view.timeHistory
        seconds: root.view.historySeconds
        fixedMax: 100
        decimals: 1
        series: [ { label: "hits / gets", color: Theme.hitRate, values: root.view.hitRateHistory, suffix: " %" } ]
    }
}
