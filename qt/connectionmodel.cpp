// SPDX-License-Identifier: MIT
#include <connpool/qt/connectionmodel.h>

#include <connpool/qt/socketpool.h>
#include <connpool/qt/sqlpool.h>

#include <QtCore/qhash.h>

namespace connpool::qt {

ConnectionModel::ConnectionModel(QObject* parent) : QAbstractListModel(parent) {}

ConnectionModel::~ConnectionModel() = default;

SocketPool* ConnectionModel::pool() const { return pool_; }

void ConnectionModel::setPool(SocketPool* pool) {
  if (pool == pool_ && !sqlPool_) return;
  QObject::disconnect(statsConnection_);
  pool_ = pool;
  sqlPool_ = nullptr;
  if (pool) statsConnection_ = connect(pool, &SocketPool::statsChanged, this, &ConnectionModel::refresh);
  emit poolChanged();
  refresh();
}

SqlPool* ConnectionModel::sqlPool() const { return sqlPool_; }

void ConnectionModel::setSqlPool(SqlPool* pool) {
  if (pool == sqlPool_ && !pool_) return;
  QObject::disconnect(statsConnection_);
  sqlPool_ = pool;
  pool_ = nullptr;
  if (pool) statsConnection_ = connect(pool, &SqlPool::statsChanged, this, &ConnectionModel::refresh);
  emit poolChanged();
  refresh();
}

int ConnectionModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant ConnectionModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const ConnectionInfo& c = rows_.at(index.row()).info;
  switch (role) {
  case Qt::DisplayRole: return QStringLiteral("#%1 %2").arg(c.id).arg(c.state);
  case IdRole: return c.id;
  case StateRole: return c.state;
  case AgeMsecsRole: return c.ageMsecs;
  case IdleMsecsRole: return c.idleMsecs;
  case UsesRole: return c.uses;
  case LastErrorRole: return c.lastError;
  default: return {};
  }
}

QHash<int, QByteArray> ConnectionModel::roleNames() const {
  return {
      {Qt::DisplayRole, "display"}, {IdRole, "id"},     {StateRole, "state"},         {AgeMsecsRole, "ageMsecs"},
      {IdleMsecsRole, "idleMsecs"}, {UsesRole, "uses"}, {LastErrorRole, "lastError"},
  };
}

void ConnectionModel::refresh() {
  update(pool_ ? pool_->connections() : sqlPool_ ? sqlPool_->connections() : QList<ConnectionInfo>{});
}

void ConnectionModel::update(const QList<ConnectionInfo>& now) {
  // Key every entry: its id, or -1, -2, ... for the id-less "creating" ones.
  QHash<qint64, ConnectionInfo> next;
  QList<qint64> order;
  qint64 creating = 0;
  for (const ConnectionInfo& c : now) {
    const qint64 key = c.id ? static_cast<qint64>(c.id) : -(++creating);
    next.insert(key, c);
    order.push_back(key);
  }
  const int before = static_cast<int>(rows_.size());

  // Removed: from the bottom up, one contiguous run per signal.
  for (int end = static_cast<int>(rows_.size()); end > 0;) {
    if (next.contains(rows_.at(end - 1).key)) {
      --end;
      continue;
    }
    int first = end - 1;
    while (first > 0 && !next.contains(rows_.at(first - 1).key))
      --first;
    beginRemoveRows({}, first, end - 1);
    rows_.remove(first, end - first);
    endRemoveRows();
    end = first;
  }

  // Changed: each row with the roles that moved.
  QSet<qint64> present;
  for (int i = 0; i < rows_.size(); ++i) {
    Row& row = rows_[i];
    present.insert(row.key);
    const ConnectionInfo& c = next.value(row.key);
    QList<int> roles;
    if (c.id != row.info.id) roles << IdRole << Qt::DisplayRole;
    if (c.state != row.info.state) roles << StateRole << Qt::DisplayRole;
    if (c.ageMsecs != row.info.ageMsecs) roles << AgeMsecsRole;
    if (c.idleMsecs != row.info.idleMsecs) roles << IdleMsecsRole;
    if (c.uses != row.info.uses) roles << UsesRole;
    if (c.lastError != row.info.lastError) roles << LastErrorRole;
    if (roles.isEmpty()) continue;
    row.info = c;
    const QModelIndex at = index(i);
    emit dataChanged(at, at, roles);
  }

  // Added: appended in the pool's order, in one insertion.
  QList<Row> added;
  for (qint64 key : order)
    if (!present.contains(key)) added.push_back({key, next.value(key)});
  if (!added.isEmpty()) {
    const int first = static_cast<int>(rows_.size());
    beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
    rows_.append(added);
    endInsertRows();
  }
  if (rows_.size() != before) emit countChanged();
}

} // namespace connpool::qt
