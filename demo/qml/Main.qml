// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import ConnPoolDemo

// The connpool dashboard: a live SocketPool under load, its gauges, counters
// and history, the controls that replace it, and fault injection. Each card
// is its own file; this one lays them out in three columns under the header.
ApplicationWindow {
    id: window
    required property Dashboard dashboard

    width: 1440
    height: 900
    visible: true
    title: "connpool dashboard — " + dashboard.target
    color: Theme.background
    font.pixelSize: Theme.fontSize
    palette {
        window: Theme.card
        windowText: Theme.text
        base: Theme.inset
        text: Theme.text
        button: Theme.track
        buttonText: Theme.text
        highlight: Theme.accent
        highlightedText: Theme.bright
        mid: Theme.line
        midlight: Theme.track
        dark: Theme.accent
        light: Theme.line
    }

    Component.onCompleted: dashboard.log("info", dashboard.server ? "embedded echo server on " + dashboard.target + ", pool #1 started"
                                                                  : "pooling to " + dashboard.target)

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 14
        spacing: 12

        DashboardHeader {
            Layout.fillWidth: true
            dashboard: window.dashboard
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12

            // Left: controls.
            ColumnLayout {
                Layout.preferredWidth: 300
                Layout.maximumWidth: 300
                Layout.fillHeight: true
                spacing: 12

                LoadGeneratorCard {
                    Layout.fillWidth: true
                    load: window.dashboard.generator
                }
                PoolSettingsCard {
                    Layout.fillWidth: true
                    dashboard: window.dashboard
                }
                FaultInjectionCard {
                    Layout.fillWidth: true
                    dashboard: window.dashboard
                }
                Item { Layout.fillHeight: true }
            }

            // Centre: gauges, counters, charts.
            ColumnLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 12

                PoolNowCard {
                    Layout.fillWidth: true
                    dashboard: window.dashboard
                }
                CountersCard {
                    Layout.fillWidth: true
                    dashboard: window.dashboard
                }
                ConnectionsChartCard {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    dashboard: window.dashboard
                }
                RowLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    spacing: 12
                    LatencyChartCard {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        dashboard: window.dashboard
                    }
                    HitRateChartCard {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        dashboard: window.dashboard
                    }
                }
            }

            // Right: every connection, then the event log.
            ColumnLayout {
                Layout.preferredWidth: 340
                Layout.maximumWidth: 340
                Layout.fillHeight: true
                spacing: 12

                ConnectionListCard {
                    Layout.fillWidth: true
                    Layout.preferredHeight: 250
                    pool: window.dashboard.pool
                }
                ResilienceCard {
                    Layout.fillWidth: true
                    pool: window.dashboard.pool
                }
                EventLogCard {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    dashboard: window.dashboard
                }
            }
        }
    }
}
