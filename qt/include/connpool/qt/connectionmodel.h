// SPDX-License-Identifier: MIT
// ConnectionModel: the connections of a SocketPool or SqlPool, one row each, for views
// (QML ListView, QTableView).
#pragma once

#include <connpool/qt/global.h>

#include <connpool/qt/connectioninfo.h>
#include <connpool/qt/socketpool.h>
#include <connpool/qt/sqlpool.h>

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qlist.h>
#include <QtCore/qpointer.h>

namespace connpool::qt {

/// Rows follow SocketPool::connections(), refreshed on the pool's
/// statsChanged (and when `pool` is set) with minimal signals: rows of
/// connections that appeared are inserted, rows of closed ones removed, and
/// dataChanged names the roles that changed; never a reset after the first
/// fill. A row keeps its place while its connection lives; new rows are
/// appended. Connections still "creating" have id 0 and one row each.
/// Lives in the pool's thread.
class CONNPOOL_QT_EXPORT ConnectionModel : public QAbstractListModel {
  Q_OBJECT

  Q_PROPERTY(connpool::qt::SocketPool* pool READ pool WRITE setPool NOTIFY poolChanged)
  /// Instead of `pool`: the connections of a SqlPool (setting one clears the other).
  Q_PROPERTY(connpool::qt::SqlPool* sqlPool READ sqlPool WRITE setSqlPool NOTIFY poolChanged)
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
  enum Role {
    IdRole = Qt::UserRole + 1,
    StateRole,
    AgeMsecsRole,
    IdleMsecsRole,
    UsesRole,
    LastErrorRole,
  };
  Q_ENUM(Role)

  explicit ConnectionModel(QObject* parent = nullptr);
  ~ConnectionModel() override;

  SocketPool* pool() const;
  void setPool(SocketPool* pool);
  SqlPool* sqlPool() const;
  void setSqlPool(SqlPool* pool);

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QHash<int, QByteArray> roleNames() const override;

  /// Re-reads the pool's connections now (also done on every statsChanged).
  Q_INVOKABLE void refresh();

Q_SIGNALS:
  void poolChanged();
  void countChanged();

private:
  struct Row {
    qint64 key; ///< the connection id, or a negative ordinal while creating
    ConnectionInfo info;
  };
  void update(const QList<ConnectionInfo>& now);

  QPointer<SocketPool> pool_;
  QPointer<SqlPool> sqlPool_;
  QMetaObject::Connection statsConnection_;
  QList<Row> rows_;
};

} // namespace connpool::qt
