// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import ConnPool
import ConnPoolDemo

// Every connection the pool holds: its id, state, age, uses and last error.
Card {
    id: root
    required property SocketPool pool

    title: "Connection list"
    subtitle: connectionModel.count + " open"
    ConnectionModel { id: connectionModel; pool: root.pool }
    ListView {
        objectName: "connectionList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        spacing: 3
        model: connectionModel
        delegate: Rectangle {
            id: row
            // Roles: id, state, ageMsecs, idleMsecs, uses, lastError. Through
            // `model`: a role named id cannot be a required property.
            required property var model
            readonly property string connState: model.state
            readonly property color tint: connState === "active" ? Theme.active : connState === "idle" ? Theme.idle
                                          : connState === "checking" ? Theme.warning : Theme.info
            width: ListView.view.width
            implicitHeight: 22
            radius: 4
            color: Theme.inset
            Rectangle { width: 4; height: parent.height; radius: 2; color: row.tint }
            Row {
                anchors { left: parent.left; leftMargin: 10; verticalCenter: parent.verticalCenter }
                spacing: 10
                Text { width: 44; text: row.model.id > 0 ? "#" + row.model.id : "…"; color: Theme.text; font.pixelSize: 12; font.bold: true }
                Text { width: 62; text: row.connState; color: row.tint; font.pixelSize: 12 }
                Text { width: 70; text: "age " + (row.model.ageMsecs / 1000).toFixed(1) + " s"; color: Theme.dim; font.pixelSize: 12 }
                Text { width: 70; text: row.model.uses + " uses"; color: Theme.dim; font.pixelSize: 12 }
                Text {
                    width: 40
                    text: row.model.lastError.length > 0 ? "⚠ " + row.model.lastError : ""
                    color: Theme.warning
                    font.pixelSize: 11
                    elide: Text.ElideRight
                }
            }
        }
    }
}
