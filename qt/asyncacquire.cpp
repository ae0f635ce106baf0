#include <QtCore/qcoreapplication.h>

#include "asyncacquire_p.h"

namespace connpool::qt {

std::mutex asyncHandoff;

void AsyncAcquire::deliver(SocketLease lease) {
  {
    // Posting under the lock: the relay cannot be destroyed meanwhile; once
    // posted, destroying it drops the event and so returns the lease.
    std::lock_guard lk(mutex);
    if (relay) {
      QCoreApplication::postEvent(relay, new AcquireDoneEvent(std::move(lease)));
      return;
    }
  }
  // The receiver is gone: `lease` returns its socket (owned by no thread) here.
}

} // namespace connpool::qt
