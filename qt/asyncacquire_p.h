// SPDX-License-Identifier: MIT
// Private: SocketPool::acquireAsync()'s machinery. The acquire waits (and
// connects) on one of SocketPoolPrivate's helper threads; the lease travels
// to the receiver's thread in an event, received there by a proxy object that
// is the receiver's child, so that destroying the receiver cancels the wait.
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>

#include <source_location>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

namespace connpool::qt {

class SocketPoolPrivate;

/// Queues one acquire on `d`'s helper threads; `callback` runs in the
/// receiver's thread, which must be the calling one, with the socket owned
/// by it. The receiver and callback are checked by the caller.
void startAsyncAcquire(SocketPoolPrivate& d, QObject* receiver, SocketPool::AcquireCallback callback,
                       QDeadlineTimer deadline, const std::source_location& where);

} // namespace connpool::qt
