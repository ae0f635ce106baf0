// SPDX-License-Identifier: MIT
#include <QtCore/qstring.h>

#include <source_location>
#include <utility>

#include "poolobserver_p.h"
#include "socketpool_p.h"
#include "statsconversion_p.h"

namespace connpool::qt {

namespace {

QString where(const std::source_location& w) {
  return QStringLiteral("%1:%2 %3")
      .arg(QString::fromUtf8(w.file_name()))
      .arg(w.line())
      .arg(QString::fromUtf8(w.function_name()));
}

} // namespace

PoolObserver::PoolObserver(std::shared_ptr<EventMailbox> mailbox, std::shared_ptr<ConnectionErrorLog> errorLog)
    : mailbox_(std::move(mailbox)), errorLog_(std::move(errorLog)) {}

void PoolObserver::on_closed(std::uint64_t id, connpool::close_reason) { errorLog_->forget(id); }

void PoolObserver::on_leak(const connpool::leak_report& r) {
  mailbox_->post([id = r.connection, w = where(r.where), held = toMsecs(r.held), back = r.returned](SocketPool* q) {
    if (back)
      emit q->leakReturned(id, w, held);
    else
      emit q->leakSuspected(id, w, held);
  });
}

void PoolObserver::postCircuit(bool open) {
  mailbox_->post([open](SocketPool* q) { SocketPoolPrivate::get(q)->setCircuitOpen(open); });
}

void postConnectFailure(EventMailbox& mailbox, const detail::ConnectFailure& failure) {
  // Queued even from the pool's own thread: errors, like stats, are always
  // emitted in the SocketPool's thread, after the failing call returned.
  mailbox.post([error = failure.error, message = failure.message, tlsErrors = failure.sslErrors](SocketPool* q) {
    if (!tlsErrors.isEmpty()) emit q->sslErrors(tlsErrors);
    emit q->connectFailed(error, message);
  });
}

} // namespace connpool::qt
