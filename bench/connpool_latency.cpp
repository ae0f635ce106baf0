// SPDX-License-Identifier: MIT
// connpool-latency: the waiting-side figures of the fast path.
//
//   handoff   a waiter at max_size: time from put() to the waiter holding
//             the connection (thread A puts, thread B is blocked in get)
//   deadline  how late a blocked get wakes after its deadline
//   cleanup   get+put latency on one thread while another thread runs
//             maintenance passes (expiry check + health-check ping) over
//             10,000 idle connections
//
//   connpool-latency [--rounds=N]
// Prints one line per figure: name=... count=N p50_ns=A p99_ns=B max_ns=C
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <semaphore>
#include <string_view>
#include <thread>
#include <vector>

#include "latency_histogram.h"
#include "naive_pool.h"
import connpool;

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::uint64_t ns_between(steady::time_point a, steady::time_point b) {
  return b > a ? static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) : 0;
}

void print(const char* name, const bench::latency_histogram& h, const char* extra = "") {
  std::printf("figure=%s count=%llu p50_ns=%llu p99_ns=%llu max_ns=%llu%s\n", name,
              static_cast<unsigned long long>(h.count()), static_cast<unsigned long long>(h.percentile(0.5)),
              static_cast<unsigned long long>(h.percentile(0.99)), static_cast<unsigned long long>(h.max()), extra);
}

connpool::config<int> trivial(std::size_t max) {
  connpool::config<int> cfg;
  cfg.factory = [n = 0](const connpool::context&) mutable { return ++n; };
  cfg.max_size = max;
  return cfg;
}

// Thread B blocks in get(); thread A stamps the time and puts; B stamps on
// return. A waits until B is queued (stats().waiting) before each put.
void handoff(int rounds) {
  connpool::pool<int> p(trivial(1));
  auto held = p.get();
  std::atomic<steady::time_point> put_at{};
  std::binary_semaphore taken{0}, back{0}, again{0};
  bench::latency_histogram h;
  std::jthread waiter([&] {
    for (int i = 0; i < rounds; ++i) {
      auto l = p.get();
      h.record(ns_between(put_at.load(), steady::now()));
      taken.release();
      back.acquire(); // A is about to get: return it to A
      p.put(l);
      again.acquire(); // A holds it again: next round
    }
  });
  for (int i = 0; i < rounds; ++i) {
    while (p.stats().waiting == 0)
      std::this_thread::yield(); // B is queued
    put_at.store(steady::now());
    p.put(held);
    taken.acquire();
    back.release();
    held = p.get(); // B's put hands it back (or it is idle already)
    again.release();
  }
  waiter.join();
  print("handoff_put_to_waiter", h);
}

// The same hand-over through the naive mutex + condition_variable pool: the
// in-run baseline (what a thread wake-up costs on this machine).
void handoff_naive(int rounds) {
  bench::naive_pool p(1);
  std::atomic<int> waiting{0};
  int held = p.get();
  std::atomic<steady::time_point> put_at{};
  std::binary_semaphore taken{0}, back{0}, again{0};
  bench::latency_histogram h;
  std::jthread waiter([&] {
    for (int i = 0; i < rounds; ++i) {
      waiting = 1;
      const int c = p.get();
      h.record(ns_between(put_at.load(), steady::now()));
      taken.release();
      back.acquire();
      p.put(c);
      again.acquire();
    }
  });
  for (int i = 0; i < rounds; ++i) {
    while (waiting.exchange(0) == 0)
      std::this_thread::yield();
    std::this_thread::yield(); // let it reach the condition variable
    put_at.store(steady::now());
    p.put(held);
    taken.acquire();
    back.release();
    held = p.get();
    again.release();
  }
  waiter.join();
  print("handoff_put_to_waiter_naive", h);
}

// A get on an exhausted pool with a deadline d: how long after d it returns.
void deadline(int rounds) {
  connpool::pool<int> p(trivial(1));
  auto held = p.get();
  bench::latency_histogram h;
  for (int i = 0; i < rounds; ++i) {
    const auto d = steady::now() + 2ms;
    std::error_code ec;
    auto l = p.get(connpool::context::with_deadline(d), ec);
    h.record(ns_between(d, steady::now()));
    if (ec != connpool::errc::get_timeout) std::abort();
  }
  print("deadline_wake_late_by", h);
}

// get+put latency while maintenance passes run over 10,000 idle connections.
void cleanup(int rounds) {
  constexpr std::size_t n = 10'000;
  auto cfg = trivial(n + 1);
  cfg.ping = [](int&, const connpool::context&) { return true; };
  cfg.health_check_interval = 1ns; // every pass health-checks every idle connection
  cfg.max_idle_time = 1h;          // and checks expiry
  cfg.background_maintenance = false;
  connpool::pool<int> p(cfg);
  {
    std::vector<connpool::lease<int>> warm;
    for (std::size_t i = 0; i < n; ++i)
      warm.push_back(p.get());
  }
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> passes{0}, pinged{0};
  std::jthread cleaner([&] {
    while (!stop.load()) {
      pinged += p.maintain().pinged;
      ++passes;
    }
  });
  while (passes.load() == 0)
    std::this_thread::yield();
  bench::latency_histogram h;
  for (int i = 0; i < rounds * 10; ++i) {
    const auto t0 = steady::now();
    auto l = p.get();
    h.record(ns_between(t0, steady::now()));
    p.put(l);
  }
  stop = true;
  cleaner.join();
  char extra[96];
  std::snprintf(extra, sizeof extra, " passes=%llu pinged=%llu", static_cast<unsigned long long>(passes.load()),
                static_cast<unsigned long long>(pinged.load()));
  print("get_during_cleanup_of_10000", h, extra);
}

} // namespace

int main(int argc, char** argv) {
  int rounds = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--rounds="))
      rounds = std::atoi(argv[i] + 9);
    else {
      std::fprintf(stderr, "usage: connpool-latency [--rounds=N]\n");
      return 2;
    }
  }
  handoff(rounds);
  handoff_naive(rounds);
  deadline(rounds / 4);
  cleanup(rounds);
  return 0;
}
