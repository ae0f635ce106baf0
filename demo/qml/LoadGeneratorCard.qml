// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import ConnPoolDemo
import "format.js" as Format

// The load: worker threads doing blocking acquires and echo round trips,
// how long each holds its lease and pauses, the acquire deadline, and the
// GUI thread's chain of asynchronous acquires.
Card {
    id: root
    required property LoadGenerator load

    title: "Load generator"
    subtitle: "echo round trips"
    LabeledSlider {
        objectName: "workersControl"
        label: "worker threads (blocking acquire)"
        from: 0; to: 32; stepSize: 1
        value: root.load.workers
        onMoved: root.load.workers = value
    }
    LabeledSlider {
        label: "hold a lease for"
        from: 0; to: 500; stepSize: 5
        value: root.load.holdTime
        valueText: value + " ms"
        onMoved: root.load.holdTime = value
    }
    LabeledSlider {
        label: "pause between requests"
        from: 0; to: 500; stepSize: 5
        value: root.load.thinkTime
        valueText: value + " ms"
        onMoved: root.load.thinkTime = value
    }
    LabeledSlider {
        label: "acquire deadline"
        from: 100; to: 5000; stepSize: 100
        value: root.load.acquireTimeout
        valueText: Format.msecs(value)
        onMoved: root.load.acquireTimeout = value
    }
    RowLayout {
        Layout.fillWidth: true
        Text { text: "GUI-thread async acquires"; color: Theme.dim; Layout.fillWidth: true }
        Switch {
            id: asyncSwitch
            objectName: "asyncSwitch"
            checked: root.load.asyncEnabled
            onToggled: root.load.asyncEnabled = checked
            indicator: Rectangle {
                x: asyncSwitch.leftPadding
                y: (asyncSwitch.height - height) / 2
                implicitWidth: 38
                implicitHeight: 20
                radius: 10
                color: asyncSwitch.checked ? Theme.accent : Theme.track
                Rectangle {
                    x: asyncSwitch.checked ? parent.width - width - 3 : 3
                    anchors.verticalCenter: parent.verticalCenter
                    width: 14; height: 14; radius: 7
                    color: Theme.text
                }
            }
        }
    }
}
