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
            // Roles: id, state, ageMsecs, idleMsecs, uses, lastError.
            readonly property string connState: model.state
            width: ListView.view.width
            implicitHeight: 22
            radius: 4
            color: Theme.inset
            readonly property color tint: connState === "active" ? Theme.active : connState === "idle" ? Theme.idle
                                         : connState === "checking" ? Theme.warning : Theme.info
            Rectangle { width: 4; height: parent.height; radius: 2; color: parent.tint }
            Row {
                anchors { left: parent.left; leftMargin: 10; verticalCenter: parent.verticalCenter }
                spacing: 10
                Text { width: 44; text: model.id > 0 ? "#" + model.id : "…"; color: Theme.text; font.pixelSize: 12; font.bold: true }
                Text { width: 62; text: connState; color: parent.parent.tint; font.pixelSize: 12 }
                Text { width: 70; text: "age " + (model.ageMsecs / 1000).toFixed(1) + " s"; color: Theme.dim; font.pixelSize: 12 }
                Text { width: 70; text: model.uses + " uses"; color: Theme.dim; font.pixelSize: 12 }
                Text { text: model.lastError.length > 0 ? "⚠ " + model.lastError : ""; color: Theme.warning; font.pixelSize: 11; elide: Text.ElideRight; width: 40 }
            }
        }
    }
}
