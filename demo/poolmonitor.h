// SPDX-License-Identifier: MIT
// PoolMonitor: what every dashboard mode gives the QML: the pool shown
// (a PoolView) and an event log. Dashboard (the embedded pool under load)
// and Watcher (another program's /metrics) derive from it, so the cards
// are the same QML in both modes.
#pragma once

#include "poolview.h"

#include <QtCore/qobject.h>
#include <QtQmlIntegration/qqmlintegration.h>

class PoolMonitor : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("a base of Dashboard and Watcher")
  Q_PROPERTY(PoolView* view READ view NOTIFY viewChanged)
  Q_PROPERTY(bool watching READ isWatching CONSTANT)

public:
  using QObject::QObject;

  /// The pool the cards show.
  virtual PoolView* view() const = 0;
  /// True for a Watcher: no load generator, settings or fault injection.
  virtual bool isWatching() const = 0;
  /// Adds an entry to the event log.
  Q_INVOKABLE void log(const QString& severity, const QString& text) { emit event(severity, text); }

Q_SIGNALS:
  void viewChanged();
  /// severity: "info", "warning" or "error".
  void event(const QString& severity, const QString& text);
};
