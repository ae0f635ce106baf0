// SPDX-License-Identifier: MIT
// connpool over libpq: a pool of PostgreSQL connections whose factory and
// ping honour the get's deadline.
//
//   connpool-libpq-example CONNINFO                 a few threads doing SELECT 1, then the stats
//   connpool-libpq-example CONNINFO --drill STOP START
//       the fault drill tst_libpq_pool runs against its own server: load on
//       several threads while backends are killed (pg_terminate_backend) and
//       the server is stopped (shell command STOP) and started again (START);
//       checks limits, recovery, counts and leaks, prints the figures, exits
//       non-zero when a check fails.
//
// PQconnectdb would block for libpq's own connect_timeout whatever the get's
// deadline; the factory here uses PQconnectStart/PQconnectPoll and waits on
// the socket only until the context ends. Queries (the ping and the load)
// use PQsendQuery and wait the same way. Give `hostaddr` (not only `host`)
// so that PQconnectStart does not block resolving a name.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>
import connpool;

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// ---- libpq with a deadline ----------------------------------------------------

struct pq_finish {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using pg_conn = std::unique_ptr<PGconn, pq_finish>;

struct pq_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string message_of(const PGconn* c) {
  std::string m = c ? PQerrorMessage(c) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
    m.pop_back();
  return m;
}

// Waits until `fd` is ready for `events` or `ctx` ends (false then). With a
// stop token the wait is cut in 50 ms slices so a stop request is seen.
bool wait_socket(int fd, short events, const connpool::context& ctx) {
  for (;;) {
    if (ctx.done()) return false;
    int ms = -1;
    if (ctx.deadline())
      ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(*ctx.deadline() - steady::now()).count()));
    if (ctx.stop_token().stop_possible()) ms = ms < 0 ? 50 : std::min(ms, 50);
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true; // let libpq report what is wrong
  }
}

// The factory: an asynchronous connect bounded by the get's context.
pg_conn connect(const std::string& conninfo, const connpool::context& ctx) {
  pg_conn c(PQconnectStart(conninfo.c_str()));
  if (!c) throw std::bad_alloc();
  if (PQstatus(c.get()) == CONNECTION_BAD) throw pq_error("connect: " + message_of(c.get()));
  for (PostgresPollingStatusType st = PGRES_POLLING_WRITING;;) { // libpq: start as if WRITING was returned
    if (st == PGRES_POLLING_OK) return c;
    if (st == PGRES_POLLING_FAILED) throw pq_error("connect: " + message_of(c.get()));
    if (!wait_socket(PQsocket(c.get()), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, ctx))
      throw pq_error(ctx.stop_token().stop_requested() ? "connect: cancelled" : "connect: the get's deadline passed");
    st = PQconnectPoll(c.get());
  }
}

// Runs `sql` and reads every result until `ctx` ends. True when the last
// result is tuples ("1" in the first cell when `want_one`). False leaves the
// connection mid-exchange: the caller discards it (or, as a ping, fails).
bool query(PGconn* c, const char* sql, const connpool::context& ctx, bool want_one = false) {
  if (PQstatus(c) != CONNECTION_OK || !PQsendQuery(c, sql)) return false;
  bool ok = false;
  for (;;) {
    while (PQisBusy(c)) {
      if (!wait_socket(PQsocket(c), POLLIN, ctx) || !PQconsumeInput(c)) return false;
    }
    PGresult* r = PQgetResult(c);
    if (!r) return ok && PQstatus(c) == CONNECTION_OK;
    ok = PQresultStatus(r) == PGRES_TUPLES_OK &&
         (!want_one || (PQntuples(r) == 1 && std::string(PQgetvalue(r, 0, 0)) == "1"));
    PQclear(r);
  }
}

// The pool's callbacks, counting what they do (for the drill's checks).
struct counted {
  std::atomic<std::int64_t> live{0}, most_live{0}, made{0}, finished{0};
};

connpool::config<pg_conn> pool_config(const std::string& conninfo, counted& n) {
  connpool::config<pg_conn> cfg;
  cfg.factory = [conninfo, &n](const connpool::context& ctx) {
    pg_conn c = connect(conninfo, ctx);
    const std::int64_t now = ++n.live;
    for (std::int64_t m = n.most_live.load(); now > m && !n.most_live.compare_exchange_weak(m, now);) {
    }
    ++n.made;
    return c;
  };
  cfg.ping = [](pg_conn& c, const connpool::context& ctx) { return query(c.get(), "SELECT 1", ctx, true); };
  cfg.close = [&n](pg_conn& c) {
    PQfinish(c.release());
    --n.live;
    ++n.finished;
  };
  cfg.max_size = 4;
  cfg.max_idle = 4;
  cfg.max_idle_time = 30s;
  cfg.health_check_interval = 1s; // finds connections the server killed while idle
  cfg.health_check_timeout = 1s;
  cfg.backoff_initial = 50ms; // while the server is down, gets fail fast
  cfg.backoff_max = 400ms;
  return cfg;
}

// ---- the short demo ---------------------------------------------------------------

int demo(const std::string& conninfo) {
  counted n;
  connpool::pool<pg_conn> pool(pool_config(conninfo + " application_name=connpool-example", n));
  std::atomic<int> ok{0}, failed{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 6; ++i)
      threads.emplace_back([&] {
        for (int k = 0; k < 100; ++k) {
          const auto ctx = connpool::context::with_timeout(2s);
          std::error_code ec;
          std::exception_ptr failure;
          auto conn = pool.get(ctx, ec, failure);
          if (!conn) {
            ++failed;
            continue;
          }
          if (query(conn->get(), "SELECT 1", ctx, true))
            ++ok;
          else {
            ++failed;
            conn.discard(); // mid-exchange: never hand it to someone else
          }
        }
      });
  }
  const auto s = pool.stats();
  pool.close(connpool::context::with_timeout(5s));
  std::printf("libpq example: selects=%d failed=%d gets=%llu hits=%llu misses=%llu created=%llu open=%zu\n", ok.load(),
              failed.load(), static_cast<unsigned long long>(s.gets), static_cast<unsigned long long>(s.hits),
              static_cast<unsigned long long>(s.misses), static_cast<unsigned long long>(s.created), s.open);
  return failed == 0 ? 0 : 1;
}

// ---- the fault drill ----------------------------------------------------------------

constexpr int kThreads = 6;
constexpr auto kRecoveryLimit = 20s; // each fault must be over within this
constexpr auto kDrillLimit = 240s;   // the whole drill, whatever happens

// What the load threads report, under `mu`; `cv` is notified on every change.
struct board {
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t ops = 0;
  std::map<std::string, std::uint64_t> errors; // by kind
  std::uint64_t error_total = 0;
  std::vector<steady::time_point> last_ok = std::vector<steady::time_point>(kThreads);
  std::map<std::string, std::string> first_message; // by kind: the first failure's text
  int leased_now = 0, most_leased = 0;

  void error(const std::string& kind, const std::exception_ptr& why) {
    std::lock_guard lk(mu);
    ++errors[kind];
    ++error_total;
    if (why && !first_message.count(kind)) try {
        std::rethrow_exception(why);
      } catch (const std::exception& e) {
        first_message[kind] = e.what();
      }
    cv.notify_all();
  }
  // Waits (with a deadline) until `pred` holds; true when it did.
  template <class P> bool wait_until(steady::time_point limit, P pred) {
    std::unique_lock lk(mu);
    return cv.wait_until(lk, limit, pred);
  }
};

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "drill: CHECK FAILED: %s\n", what);
  }
}

void load(connpool::pool<pg_conn>& pool, board& b, int me, std::stop_token st, steady::time_point limit) {
  std::condition_variable_any pause_cv;
  std::mutex pause_mu;
  for (std::uint64_t k = 0; k < 10'000'000 && !st.stop_requested() && steady::now() < limit; ++k) {
    const auto ctx = connpool::context::with_timeout(2s).with_stop_token(st);
    std::error_code ec;
    std::exception_ptr failure;
    auto conn = pool.get(ctx, ec, failure);
    if (!conn) {
      if (st.stop_requested()) break;
      b.error(ec == connpool::errc::factory_failed ? "connect failed"
              : ec == connpool::errc::circuit_open ? "circuit open"
              : ec == connpool::errc::get_timeout  ? "get timeout"
                                                   : ec.message(),
              failure);
      // A client's retry pause (not synchronisation): ends early on stop.
      std::unique_lock lk(pause_mu);
      pause_cv.wait_for(lk, st, 10ms, [] { return false; });
      continue;
    }
    {
      std::lock_guard lk(b.mu);
      b.most_leased = std::max(b.most_leased, ++b.leased_now);
    }
    const bool ok = query(conn->get(), "SELECT 1", ctx, true);
    if (!ok) conn.discard(); // the server dropped it mid-query
    std::lock_guard lk(b.mu);
    --b.leased_now;
    if (ok) {
      ++b.ops;
      b.last_ok[me] = steady::now();
    } else {
      ++b.errors["query failed"];
      ++b.error_total;
    }
    b.cv.notify_all();
  }
}

double ms_since(steady::time_point t0) { return std::chrono::duration<double, std::milli>(steady::now() - t0).count(); }

// Waits until every load thread has done a SELECT since `after` (within the
// recovery limit); returns the ms from `fault` (when the fault began) to
// then, or -1.
double recovered(board& b, steady::time_point fault, steady::time_point after) {
  const bool ok = b.wait_until(steady::now() + kRecoveryLimit, [&] {
    return std::all_of(b.last_ok.begin(), b.last_ok.end(), [&](steady::time_point t) { return t >= after; });
  });
  return ok ? ms_since(fault) : -1;
}

int drill(const std::string& conninfo, const std::string& stop_cmd, const std::string& start_cmd) {
  const steady::time_point limit = steady::now() + kDrillLimit;
  pg_conn admin(PQconnectdb((conninfo + " application_name=connpool-admin").c_str()));
  if (PQstatus(admin.get()) != CONNECTION_OK) {
    std::fprintf(stderr, "drill: admin connection: %s\n", message_of(admin.get()).c_str());
    return 1;
  }
  // Runs one admin statement (reconnecting after a restart); its first cell, or "".
  auto admin_query = [&](const char* sql) -> std::string {
    if (PQstatus(admin.get()) != CONNECTION_OK) PQreset(admin.get());
    PGresult* r = PQexec(admin.get(), sql);
    std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return v;
  };
  const char* kill_sql = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                         "WHERE application_name = 'connpool-drill'";
  const char* count_sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'connpool-drill'";

  counted n;
  auto pool = std::make_unique<connpool::pool<pg_conn>>(pool_config(conninfo + " application_name=connpool-drill", n));
  const std::size_t max_size = pool->configuration().max_size;
  board b;
  std::vector<double> kill_ms, kill_stmt_ms, restart_ms, outage_ms;
  std::vector<std::uint64_t> kill_errors, restart_errors, killed;
  std::uint64_t most_server_side = 0;
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i](std::stop_token st) { load(*pool, b, i, st, limit); });
    auto ops_reach = [&](std::uint64_t target) {
      return b.wait_until(std::min(limit, steady::now() + kRecoveryLimit), [&] { return b.ops >= target; });
    };
    auto server_side = [&] {
      const std::uint64_t v = std::strtoull(admin_query(count_sql).c_str(), nullptr, 10);
      most_server_side = std::max(most_server_side, v);
    };
    check(ops_reach(200), "200 SELECTs before the first fault");
    server_side();

    for (int round = 0; round < 2; ++round) { // kill every backend of the pool
      std::uint64_t before;
      {
        std::lock_guard lk(b.mu);
        before = b.error_total;
      }
      const steady::time_point t0 = steady::now();
      killed.push_back(std::strtoull(admin_query(kill_sql).c_str(), nullptr, 10)); // returns once they are gone
      kill_stmt_ms.push_back(ms_since(t0));
      kill_ms.push_back(recovered(b, t0, steady::now()));
      check(kill_ms.back() >= 0, "every thread SELECTs again after pg_terminate_backend");
      std::lock_guard lk(b.mu);
      kill_errors.push_back(b.error_total - before);
    }
    server_side();
    check(ops_reach(b.ops + 200), "200 more SELECTs after the kills");

    for (int round = 0; round < 2; ++round) { // stop the server, see the errors, start it again
      std::uint64_t before;
      {
        std::lock_guard lk(b.mu);
        before = b.error_total;
      }
      const steady::time_point t0 = steady::now();
      check(std::system(stop_cmd.c_str()) == 0, "the server stops");
      check(b.wait_until(std::min(limit, steady::now() + kRecoveryLimit),
                         [&] { return b.error_total >= before + kThreads; }),
            "the load sees errors while the server is down");
      check(std::system(start_cmd.c_str()) == 0, "the server starts again");
      const steady::time_point t1 = steady::now();
      restart_ms.push_back(recovered(b, t1, t1));
      outage_ms.push_back(restart_ms.back() < 0 ? -1 : ms_since(t0));
      check(restart_ms.back() >= 0, "every thread SELECTs again after the restart");
      std::lock_guard lk(b.mu);
      restart_errors.push_back(b.error_total - before);
    }
    check(ops_reach(b.ops + 200), "200 more SELECTs after the restarts");
    server_side();
    for (auto& t : threads)
      t.request_stop();
  } // threads joined

  // Quiet now, but a health check may hold a connection for a moment: stop
  // them, then wait (bounded) for every connection to be idle.
  pool->set_health_check_interval(0s);
  connpool::metrics s = pool->stats();
  for (const auto until = steady::now() + 5s; (s.active != 0 || s.open != s.idle) && steady::now() < until;) {
    std::this_thread::yield();
    s = pool->stats();
  }
  const std::uint64_t server_now = std::strtoull(admin_query(count_sql).c_str(), nullptr, 10);
  check(s.max_active <= max_size, "max_active <= max_size");
  check(static_cast<std::size_t>(n.most_live.load()) <= max_size, "open PGconns never above max_size");
  check(static_cast<std::size_t>(b.most_leased) <= max_size, "leases held at once never above max_size");
  check(most_server_side <= max_size, "server-side backends of the pool never above max_size");
  check(s.active == 0 && s.open == s.idle, "quiet pool: open == idle, nothing leased");
  // (A backend whose client just hung up may still be listed for a moment.)
  check(server_now >= s.open && server_now <= max_size, "every open connection is a live backend on the server");
  check(n.live.load() == static_cast<std::int64_t>(s.open), "live PGconns == open");
  check(s.factory_failures > 0 && s.circuit_opens > 0, "the faults were seen (factory failures, breaker opened)");
  for (std::uint64_t e : restart_errors)
    check(e >= kThreads, "errors counted during each restart");
  pool->close(connpool::context::with_timeout(10s));
  const auto end = pool->stats();
  check(end.created == end.closed, "after close: created == closed");
  check(n.live.load() == 0 && n.made.load() == n.finished.load(), "after close: every PGconn made was finished");
  pool.reset();

  auto join = [](const auto& v) {
    std::string out;
    for (const auto& x : v)
      out += (out.empty() ? "" : ",") + std::to_string(static_cast<long long>(x));
    return out;
  };
  std::printf("libpq drill: threads=%d max_size=%zu selects=%llu errors=%llu most_open=%lld most_leased=%d "
              "most_server_backends=%llu\n",
              kThreads, max_size, static_cast<unsigned long long>(b.ops),
              static_cast<unsigned long long>(b.error_total), static_cast<long long>(n.most_live.load()), b.most_leased,
              static_cast<unsigned long long>(most_server_side));
  std::printf("libpq drill: backends killed per round=%s errors during kills=%s kill statement ms=%s "
              "recovery_ms (kill issued -> every thread SELECTs again)=%s\n",
              join(killed).c_str(), join(kill_errors).c_str(), join(kill_stmt_ms).c_str(), join(kill_ms).c_str());
  std::printf("libpq drill: errors during restarts=%s recovery_ms (server up -> every thread SELECTs again)=%s "
              "outage_ms (stop issued -> every thread SELECTs again)=%s\n",
              join(restart_errors).c_str(), join(restart_ms).c_str(), join(outage_ms).c_str());
  std::string kinds;
  for (const auto& [k, v] : b.errors)
    kinds += " " + k + "=" + std::to_string(v);
  std::printf("libpq drill: errors by kind:%s\n", kinds.c_str());
  for (const auto& [k, m] : b.first_message)
    std::printf("libpq drill: first %s: %s\n", k.c_str(), m.c_str());
  std::printf("libpq drill: pool gets=%llu hits=%llu misses=%llu discards=%llu ping_failures=%llu "
              "factory_failures=%llu circuit_opens=%llu circuit_rejects=%llu created=%llu closed=%llu\n",
              static_cast<unsigned long long>(end.gets), static_cast<unsigned long long>(end.hits),
              static_cast<unsigned long long>(end.misses), static_cast<unsigned long long>(end.discards),
              static_cast<unsigned long long>(end.ping_failures), static_cast<unsigned long long>(end.factory_failures),
              static_cast<unsigned long long>(end.circuit_opens), static_cast<unsigned long long>(end.circuit_rejects),
              static_cast<unsigned long long>(end.created), static_cast<unsigned long long>(end.closed));
  std::printf("libpq drill: %s\n", failures == 0 ? "all checks passed" : "CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2) return demo(argv[1]);
    if (argc == 5 && std::string(argv[2]) == "--drill") return drill(argv[1], argv[3], argv[4]);
    std::fprintf(stderr, "usage: %s CONNINFO [--drill STOP_COMMAND START_COMMAND]\n", argv[0]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libpq example: %s\n", e.what());
    return 1;
  }
}
