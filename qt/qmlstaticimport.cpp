// SPDX-License-Identifier: MIT
// Q_IMPORT_QML_PLUGIN(ConnPoolPlugin) is what apps wrote when ConnPool was a
// static QML module. It keeps linking and working: this library (connpool::qml)
// registers the types itself, and this static plugin of that name only claims
// the URI for the engine. Deprecated: `import ConnPool` needs no line in C++.
#define QT_STATICPLUGIN
#include <QtCore/qplugin.h>
#include <QtQml/qqmlextensionplugin.h>

// Exported from the shared library, as a static plugin's entry point is from
// an archive.
Q_DECL_EXPORT const QStaticPlugin qt_static_plugin_ConnPoolPlugin();

class ConnPoolPlugin : public QQmlEngineExtensionPlugin {
  Q_OBJECT
  Q_PLUGIN_METADATA(IID QQmlEngineExtensionInterface_iid)
};

#include "qmlstaticimport.moc"
