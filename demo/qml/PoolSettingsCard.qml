// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo
import "format.js" as Format

// The pool's settings. Live: each slider sets the running pool; a refused
// value (e.g. max_idle above max_size) stays marked. The breaker backoff is
// start-only: Apply replaces the pool with one that has it.
Card {
    id: root
    required property Dashboard dashboard
    readonly property SocketPool pool: root.dashboard.pool

    title: "Pool settings"
    subtitle: "live on pool #" + root.dashboard.poolGeneration
    LabeledSlider {
        id: maxSizeControl
        objectName: "maxSizeControl"
        label: "max_size"
        from: 1; to: 32; stepSize: 1
        value: root.pool.maxSize
        pending: value !== root.pool.maxSize
        onMoved: root.pool.maxSize = value
    }
    LabeledSlider {
        objectName: "maxIdleControl"
        label: "max_idle"
        from: -1; to: 32; stepSize: 1
        value: root.pool.maxIdle
        valueText: value < 0 ? "= max_size" : Math.round(value).toString()
        pending: value !== root.pool.maxIdle
        onMoved: root.pool.maxIdle = value
    }
    LabeledSlider {
        objectName: "minIdleControl"
        label: "min_idle"
        from: 0; to: 16; stepSize: 1
        value: root.pool.minIdle
        pending: value !== root.pool.minIdle
        onMoved: root.pool.minIdle = value
    }
    LabeledSlider {
        objectName: "maxIdleTimeControl"
        label: "max_idle_time"
        from: 0; to: 30000; stepSize: 500
        value: root.pool.maxIdleTime
        valueText: Format.msecs(value)
        pending: value !== root.pool.maxIdleTime
        onMoved: root.pool.maxIdleTime = value
    }
    LabeledSlider {
        objectName: "maxAgeControl"
        label: "max_age"
        from: 0; to: 60000; stepSize: 1000
        value: root.pool.maxAge
        valueText: Format.msecs(value)
        pending: value !== root.pool.maxAge
        onMoved: root.pool.maxAge = value
    }
    LabeledSlider {
        objectName: "healthCheckControl"
        label: "health-check interval"
        from: 0; to: 10000; stepSize: 250
        value: root.pool.healthCheckInterval
        valueText: Format.msecs(value)
        pending: value !== root.pool.healthCheckInterval
        onMoved: root.pool.healthCheckInterval = value
    }
    LabeledSlider {
        id: backoffControl
        objectName: "backoffControl"
        label: "breaker backoff (start-only)"
        from: 0; to: 5000; stepSize: 100
        value: root.pool.backoffInitial
        valueText: Format.msecs(value)
        pending: value !== root.pool.backoffInitial
    }
    ActionButton {
        objectName: "applyButton"
        Layout.fillWidth: true
        text: "Apply (replaces the pool)"
        tint: backoffControl.pending ? Theme.warning : Theme.accent
        onClicked: root.dashboard.applySettings(backoffControl.value)
    }
}
