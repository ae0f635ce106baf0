// SPDX-License-Identifier: MIT
#include <chrono>
#include <utility>

#include "statsconversion_p.h"

namespace connpool::qt {

using std::chrono::milliseconds;

qint64 toMsecs(connpool::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

namespace {

qint64 usecs(connpool::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

} // namespace

SocketPoolStats toStats(const connpool::metrics& m) {
  SocketPoolStats s;
  s.openCount = static_cast<int>(m.open);
  s.idleCount = static_cast<int>(m.idle);
  s.activeCount = static_cast<int>(m.active);
  s.waitingCount = static_cast<int>(m.waiting);
  s.gets = m.gets;
  s.puts = m.puts;
  s.discards = m.discards;
  s.hits = m.hits;
  s.misses = m.misses;
  s.waits = m.waits;
  s.timeouts = m.timeouts;
  s.pingFailures = m.ping_failures;
  s.idleClosed = m.idle_closed;
  s.ageClosed = m.age_closed;
  s.factoryFailures = m.factory_failures;
  s.closeTimeouts = m.close_timeouts;
  s.maxActive = m.max_active;
  s.cancellations = m.cancellations;
  s.created = m.created;
  s.closed = m.closed;
  s.closeErrors = m.close_errors;
  using connpool::close_reason;
  s.closedIdleTime = m.closed_for(close_reason::idle_time);
  s.closedMaxAge = m.closed_for(close_reason::max_age);
  s.closedPingFailed = m.closed_for(close_reason::ping_failed);
  s.closedDiscarded = m.closed_for(close_reason::discarded);
  s.closedIdleOverflow = m.closed_for(close_reason::idle_overflow);
  s.closedPoolClosed = m.closed_for(close_reason::pool_closed);
  s.closedDrained = m.closed_for(close_reason::drained);
  s.closedResized = m.closed_for(close_reason::resized);
  s.leaksSuspected = m.leaks_suspected;
  s.circuitOpens = m.circuit_opens;
  s.circuitRejects = m.circuit_rejects;
  s.observerErrors = m.observer_errors;
  s.overtaken = m.overtaken;
  s.creatingCount = static_cast<int>(m.creating);
  s.currentMaxSize = static_cast<int>(m.max_size);
  s.currentMaxIdle = static_cast<int>(m.max_idle);
  s.circuitOpen = m.circuit_open;
  const auto percentiles = [](const connpool::histogram_snapshot& h, qint64& p50, qint64& p90, qint64& p99, qint64& max,
                              quint64& count) {
    p50 = usecs(h.p50());
    p90 = usecs(h.p90());
    p99 = usecs(h.p99());
    max = usecs(h.max());
    count = h.count;
  };
  percentiles(m.wait, s.waitP50Usecs, s.waitP90Usecs, s.waitP99Usecs, s.waitMaxUsecs, s.waitCount);
  percentiles(m.create, s.createP50Usecs, s.createP90Usecs, s.createP99Usecs, s.createMaxUsecs, s.createCount);
  percentiles(m.hold, s.holdP50Usecs, s.holdP90Usecs, s.holdP99Usecs, s.holdMaxUsecs, s.holdCount);
  percentiles(m.ping, s.pingP50Usecs, s.pingP90Usecs, s.pingP99Usecs, s.pingMaxUsecs, s.pingCount);
  return s;
}

ConnectionInfo toConnectionInfo(const connpool::connection_info& c, std::chrono::steady_clock::time_point now,
                                QString lastError) {
  using state = connpool::connection_info::state;
  ConnectionInfo info;
  info.id = c.id;
  info.state = QString::fromLatin1(connpool::to_string(c.where));
  if (c.where != state::creating) info.ageMsecs = toMsecs(now - c.created_at);
  if (c.where == state::idle) info.idleMsecs = toMsecs(now - c.idle_since);
  info.uses = c.uses;
  info.lastError = std::move(lastError);
  return info;
}

} // namespace connpool::qt
