import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// The pool's counters since this pool started; failures are alarms.
Card {
    id: root
    required property Dashboard dashboard
    readonly property SocketPool pool: dashboard.pool

    title: "Counters"
    subtitle: "the origin's metrics, since pool #" + dashboard.poolGeneration + " started"
    GridLayout {
        Layout.fillWidth: true
        columns: 7
        columnSpacing: 8
        rowSpacing: 8
        Repeater {
            model: [
                { key: "gets", label: "gets" }, { key: "puts", label: "puts" },
                { key: "hits", label: "hits" }, { key: "misses", label: "misses" },
                { key: "waits", label: "waits" }, { key: "discards", label: "discards" },
                { key: "maxActive", label: "max active" },
                { key: "idleClosed", label: "idle closed" }, { key: "ageClosed", label: "age closed" },
                { key: "timeouts", label: "timeouts", alarm: true },
                { key: "pingFailures", label: "ping failures", alarm: true },
                { key: "factoryFailures", label: "factory failures", alarm: true },
                { key: "closeTimeouts", label: "close timeouts", alarm: true }
            ]
            Counter {
                objectName: "counter_" + modelData.key
                label: modelData.label
                value: root.pool[modelData.key]
                alarm: modelData.alarm === true
            }
        }
    }
}
