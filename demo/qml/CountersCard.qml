// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The pool's counters since this pool started; the failure counters are
// alarms, raised when not zero.
Card {
    id: root
    required property Dashboard dashboard
    // The pool, untyped: qmllint 6.4 knows no QML type for its counters'
    // quint64.
    readonly property var counts: root.dashboard.pool

    title: "Counters"
    subtitle: "since pool #" + root.dashboard.poolGeneration + " started"
    GridLayout {
        Layout.fillWidth: true
        columns: 7
        columnSpacing: 8
        rowSpacing: 8
        Counter { objectName: "counter_gets"; label: "gets"; value: root.counts.gets }
        Counter { objectName: "counter_puts"; label: "puts"; value: root.counts.puts }
        Counter { objectName: "counter_hits"; label: "hits"; value: root.counts.hits }
        Counter { objectName: "counter_misses"; label: "misses"; value: root.counts.misses }
        Counter { objectName: "counter_waits"; label: "waits"; value: root.counts.waits }
        Counter { objectName: "counter_discards"; label: "discards"; value: root.counts.discards }
        Counter { objectName: "counter_maxActive"; label: "max active"; value: root.counts.maxActive }
        Counter { objectName: "counter_idleClosed"; label: "idle closed"; value: root.counts.idleClosed }
        Counter { objectName: "counter_ageClosed"; label: "age closed"; value: root.counts.ageClosed }
        Counter { objectName: "counter_timeouts"; label: "timeouts"; value: root.counts.timeouts; alarm: true }
        Counter { objectName: "counter_pingFailures"; label: "ping failures"; value: root.counts.pingFailures; alarm: true }
        Counter { objectName: "counter_factoryFailures"; label: "factory failures"; value: root.counts.factoryFailures; alarm: true }
        Counter { objectName: "counter_closeTimeouts"; label: "close timeouts"; value: root.counts.closeTimeouts; alarm: true }
    }
}
