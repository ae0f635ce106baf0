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
    readonly property SocketPool pool: dashboard.pool

    title: "Pool settings"
    subtitle: "live on pool #" + dashboard.poolGeneration
    LabeledSlider {
        id: maxSizeControl
        objectName: "maxSizeControl"
        label: "max_size"
        from: 1; to: 32; stepSize: 1
        value: pool.maxSize
        pending: value !== pool.maxSize
        onMoved: pool.maxSize = value
    }
    LabeledSlider {
        objectName: "maxIdleControl"
        label: "max_idle"
        from: -1; to: 32; stepSize: 1
        value: pool.maxIdle
        format: function (v) { return v < 0 ? "= max_size" : Math.round(v).toString() }
        pending: value !== pool.maxIdle
        onMoved: pool.maxIdle = value
    }
    LabeledSlider {
        objectName: "minIdleControl"
        label: "min_idle"
        from: 0; to: 16; stepSize: 1
        value: pool.minIdle
        pending: value !== pool.minIdle
        onMoved: pool.minIdle = value
    }
    LabeledSlider {
        objectName: "maxIdleTimeControl"
        label: "max_idle_time"
        from: 0; to: 30000; stepSize: 500
        value: pool.maxIdleTime
        format: Format.msecs
        pending: value !== pool.maxIdleTime
        onMoved: pool.maxIdleTime = value
    }
    LabeledSlider {
        objectName: "maxAgeControl"
        label: "max_age"
        from: 0; to: 60000; stepSize: 1000
        value: pool.maxAge
        format: Format.msecs
        pending: value !== pool.maxAge
        onMoved: pool.maxAge = value
    }
    LabeledSlider {
        objectName: "healthCheckControl"
        label: "health-check interval"
        from: 0; to: 10000; stepSize: 250
        value: pool.healthCheckInterval
        format: Format.msecs
        pending: value !== pool.healthCheckInterval
        onMoved: pool.healthCheckInterval = value
    }
    LabeledSlider {
        id: backoffControl
        objectName: "backoffControl"
        label: "breaker backoff (start-only)"
        from: 0; to: 5000; stepSize: 100
        value: pool.backoffInitial
        format: Format.msecs
        pending: value !== pool.backoffInitial
    }
    ActionButton {
        objectName: "applyButton"
        Layout.fillWidth: true
        text: "Apply (replaces the pool)"
        tint: backoffControl.pending ? Theme.warning : Theme.accent
        onClicked: dashboard.applySettings(backoffControl.value)
    }
}
