#include <QtCore/qstring.h>

#include <exception>
#include <memory>
#include <source_location>
#include <utility>

#include "eventmailbox_p.h"
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

/// The pure pool's events, queued to the SocketPool's thread.
class Observer final : public connpool::observer {
public:
  explicit Observer(std::shared_ptr<Relay> relay) : relay_(std::move(relay)) {}

  void on_closed(std::uint64_t id, connpool::close_reason) override { relay_->forget(id); }
  void on_leak(const connpool::leak_report& r) override {
    relay_->post([id = r.connection, w = where(r.where), held = toMsecs(r.held), back = r.returned](SocketPool* q) {
      if (back)
        emit q->leakReturned(id, w, held);
      else
        emit q->leakSuspected(id, w, held);
    });
  }
  void on_circuit_open(std::exception_ptr, connpool::duration) override { circuit(true); }
  void on_circuit_closed() override { circuit(false); }

private:
  void circuit(bool open);
  std::shared_ptr<Relay> relay_;
};

} // namespace

void Observer::circuit(bool open) {
  relay_->post([open](SocketPool* q) { SocketPoolPrivate::get(q)->setCircuitOpen(open); });
}

std::shared_ptr<connpool::observer> makeObserver(std::shared_ptr<Relay> relay) {
  return std::make_shared<Observer>(std::move(relay));
}

void reportFailure(Relay& relay, const detail::ConnectFailure& failure) {
  // Queued even from the pool's own thread: errors, like stats, are always
  // emitted in the SocketPool's thread, after the failing call returned.
  relay.post([error = failure.error, message = failure.message, tlsErrors = failure.sslErrors](SocketPool* q) {
    if (!tlsErrors.isEmpty()) emit q->sslErrors(tlsErrors);
    emit q->connectFailed(error, message);
  });
}

} // namespace connpool::qt
