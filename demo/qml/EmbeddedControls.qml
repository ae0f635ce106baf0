// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPoolDemo

// The embedded mode's controls: the load, the pool's settings and fault
// injection on the embedded server (none of them exist in watch mode).
ColumnLayout {
    id: root
    required property Dashboard dashboard

    spacing: 12
    LoadGeneratorCard {
        Layout.fillWidth: true
        load: root.dashboard.generator
    }
    PoolSettingsCard {
        Layout.fillWidth: true
        dashboard: root.dashboard
    }
    FaultInjectionCard {
        Layout.fillWidth: true
        dashboard: root.dashboard
    }
}
