// SPDX-License-Identifier: MIT
// connpool-bench: get -> hold -> put cycles on T threads over a pool that
// starts with M idle connections, for connpool and for the naive baseline.
//
//   connpool-bench --pool=connpool|naive --threads=T --max=M --seconds=S
//                  --warmup=S --hold=NS | --hold-sleep=NS [--no-latency]
//                  [--fairness=bounded|strict] [--fairness-bound-us=N]
//                  [--hold-time] [--observer] [--leak-threshold-ms N]
//
// --hold spins while holding (CPU-bound work); --hold-sleep sleeps (an
// I/O-like hold: the thread is off the CPU, as when it waits for a reply).
// --fairness picks config.fairness (default: the pool's default, bounded;
// --pool=connpool-strict is --pool=connpool --fairness=strict, for the peer
// harness),
// --fairness-bound-us config.fairness_bound (default: the pool's, 1000).
// The last three turn on connpool's per-lease bookkeeping:
// config.track_hold_time, a no-op config.observer, config.leak_threshold.
// Each takes the pool off its lock-free fast path; without them the run is
// the default one.
//
// stdout, one line:
//   peer=<pool> threads=T max=M ops=N seconds=S ops_per_sec=X p50_ns=A p99_ns=B
//   p999_ns=C max_ns=D utilisation=U cpu_ns_per_op=K [fairness=F]
// (acquire latency; utilisation: time connections were held / (M x wall
// time); cpu_ns_per_op: the process's CPU time / ops, so a pool that spins
// while it waits cannot hide it)
// stderr, one line of extras: the cycles run (warm-up included) and the
// allocations per cycle after warm-up (a counting operator new).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "latency_histogram.h"
#include "naive_pool.h"
import connpool;

// ---- a counting operator new: proves "no allocation per cycle" ----------
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using steady = std::chrono::steady_clock;

struct options {
  std::string pool = "connpool";
  int threads = 1;
  std::size_t max = 4;
  double seconds = 2;
  double warmup = 0.5;
  std::uint64_t hold_ns = 0;
  bool hold_sleeps = false;     // --hold-sleep: sleep hold_ns instead of spinning
  std::string fairness;         // empty: the pool's default
  double fairness_bound_us = 0; // 0: the pool's default
  bool latency = true;
  bool hold_time = false;              // config.track_hold_time
  bool observer = false;               // a no-op config.observer
  std::uint64_t leak_threshold_ms = 0; // config.leak_threshold; 0 = off
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(
      stderr,
      "connpool-bench: %s\nusage: connpool-bench --pool=connpool|naive --threads=T --max=M --seconds=S "
      "--warmup=S --hold=NS|--hold-sleep=NS [--no-latency] [--fairness=bounded|strict] [--fairness-bound-us=N] "
      "[--hold-time] "
      "[--observer] [--leak-threshold-ms N]\n",
      why);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  std::uint64_t spin_ns = 0, sleep_ns = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view key) -> const char* {
      return a.starts_with(key) ? argv[i] + key.size() : nullptr;
    };
    char* end = nullptr;
    auto number = [&](const char* v) {
      const double d = std::strtod(v, &end);
      if (end == v || *end || d < 0) usage(("bad number in " + std::string(a)).c_str());
      return d;
    };
    if (auto v = value("--pool="))
      o.pool = v;
    else if (auto v = value("--threads="))
      o.threads = static_cast<int>(number(v));
    else if (auto v = value("--max="))
      o.max = static_cast<std::size_t>(number(v));
    else if (auto v = value("--seconds="))
      o.seconds = number(v);
    else if (auto v = value("--warmup="))
      o.warmup = number(v);
    else if (auto v = value("--hold="))
      spin_ns = static_cast<std::uint64_t>(number(v));
    else if (auto v = value("--hold-sleep="))
      sleep_ns = static_cast<std::uint64_t>(number(v));
    else if (auto v = value("--fairness="))
      o.fairness = v;
    else if (auto v = value("--fairness-bound-us="))
      o.fairness_bound_us = number(v);
    else if (a == "--no-latency")
      o.latency = false;
    else if (a == "--hold-time")
      o.hold_time = true;
    else if (a == "--observer")
      o.observer = true;
    else if (auto v = value("--leak-threshold-ms="))
      o.leak_threshold_ms = static_cast<std::uint64_t>(number(v));
    else if (a == "--leak-threshold-ms" && i + 1 < argc) {
      a = argv[++i];
      o.leak_threshold_ms = static_cast<std::uint64_t>(number(argv[i]));
    } else
      usage(("unknown argument " + std::string(a)).c_str());
  }
  if (spin_ns && sleep_ns) usage("--hold and --hold-sleep exclude each other (0 is neither)");
  o.hold_sleeps = sleep_ns > 0;
  o.hold_ns = o.hold_sleeps ? sleep_ns : spin_ns;
  if (o.pool == "connpool-strict") { // the name the peer harness (bench-peers, PEERS=proj-connpool-strict) passes
    if (!o.fairness.empty() && o.fairness != "strict") usage("--pool=connpool-strict is --fairness=strict");
    o.pool = "connpool";
    o.fairness = "strict";
  }
  if (o.pool != "connpool" && o.pool != "naive") usage("--pool must be connpool, connpool-strict or naive");
  if (o.threads < 1 || o.max < 1 || o.seconds <= 0) usage("--threads, --max and --seconds must be positive");
  if (o.pool == "naive" &&
      (o.hold_time || o.observer || o.leak_threshold_ms || !o.fairness.empty() || o.fairness_bound_us))
    usage("--hold-time, --observer, --leak-threshold-ms and --fairness apply to --pool=connpool only");
  if (!o.fairness.empty() && o.fairness != "bounded" && o.fairness != "strict")
    usage("--fairness must be bounded or strict");
  return o;
}

void hold_for(const options& o) {
  if (o.hold_ns == 0) return;
  if (o.hold_sleeps) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(o.hold_ns));
    return;
  }
  const auto until = steady::now() + std::chrono::nanoseconds(o.hold_ns);
  while (steady::now() < until) {
  }
}

std::int64_t process_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// 0 = warm-up, 1 = measuring, 2 = stop. Relaxed: a phase change seen one
// cycle late costs one cycle of accuracy, nothing else.
std::atomic<int> g_phase{0};

struct alignas(64) worker_result {
  std::uint64_t ops = 0;
  std::uint64_t cycles = 0;  // ops plus warm-up cycles (callgrind divides by this)
  std::uint64_t held_ns = 0; // measured cycles: from get returned to put called
  bench::latency_histogram latency;
};

// One get -> hold -> put cycle. noinline so callgrind can count it alone
// (bench/callgrind.sh: --toggle-collect=*cycle_once*).
template <class Get, class Put>
[[gnu::noinline]] void cycle_once(Get& get, Put& put, const options& o, worker_result& r, bool measuring) {
  if (o.latency) {
    const auto t0 = steady::now();
    auto c = get();
    const auto t1 = steady::now();
    hold_for(o);
    const auto t2 = steady::now();
    put(c);
    if (measuring) {
      r.latency.record(static_cast<std::uint64_t>((t1 - t0).count()));
      r.held_ns += static_cast<std::uint64_t>((t2 - t1).count());
    }
  } else {
    auto c = get();
    hold_for(o);
    put(c);
  }
}

template <class Get, class Put> void worker(const options& o, worker_result& r, Get get, Put put) {
  int phase;
  while ((phase = g_phase.load(std::memory_order_relaxed)) != 2) {
    cycle_once(get, put, o, r, phase == 1);
    ++r.cycles;
    if (phase == 1) ++r.ops;
  }
}

template <class MakeWorker> void run(const options& o, MakeWorker make_worker) {
  std::vector<worker_result> results(static_cast<std::size_t>(o.threads));
  std::vector<std::jthread> threads;
  threads.reserve(results.size());
  for (auto& r : results)
    threads.emplace_back(make_worker(r));
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const std::uint64_t allocs_before = g_allocations.load();
  const std::int64_t cpu_before = process_cpu_ns();
  const auto start = steady::now();
  g_phase.store(1);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  g_phase.store(2);
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  const std::int64_t cpu_used = process_cpu_ns() - cpu_before;
  const std::uint64_t allocs_after = g_allocations.load();
  threads.clear();
  bench::latency_histogram all;
  std::uint64_t ops = 0, cycles = 0, held_ns = 0;
  for (auto& r : results) {
    ops += r.ops;
    cycles += r.cycles;
    held_ns += r.held_ns;
    all.merge(r.latency);
  }
  const double utilisation = static_cast<double>(held_ns) / (static_cast<double>(o.max) * elapsed * 1e9);
  std::printf("peer=%s threads=%d max=%zu ops=%llu seconds=%.2f ops_per_sec=%.0f p50_ns=%llu p99_ns=%llu "
              "p999_ns=%llu max_ns=%llu utilisation=%.3f cpu_ns_per_op=%.0f%s%s\n",
              o.pool.c_str(), o.threads, o.max, static_cast<unsigned long long>(ops), elapsed,
              static_cast<double>(ops) / elapsed, static_cast<unsigned long long>(all.percentile(0.50)),
              static_cast<unsigned long long>(all.percentile(0.99)),
              static_cast<unsigned long long>(all.percentile(0.999)), static_cast<unsigned long long>(all.max()),
              utilisation, ops ? static_cast<double>(cpu_used) / static_cast<double>(ops) : 0.0,
              o.pool == "connpool" ? " fairness=" : "",
              o.pool == "connpool" ? (o.fairness.empty() ? "bounded" : o.fairness.c_str()) : "");
  std::fprintf(stderr, "extra: peer=%s cycles_total=%llu allocs_per_cycle=%.6f\n", o.pool.c_str(),
               static_cast<unsigned long long>(cycles),
               ops ? static_cast<double>(allocs_after - allocs_before) / static_cast<double>(ops) : 0.0);
}

} // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  if (o.pool == "naive") {
    bench::naive_pool p(o.max);
    run(o, [&](worker_result& r) { return [&] { worker(o, r, [&] { return p.get(); }, [&](int c) { p.put(c); }); }; });
    return 0;
  }
  connpool::config<int> cfg;
  int next = 0;
  cfg.factory = [&next](const connpool::context&) { return ++next; };
  cfg.max_size = o.max;
  cfg.track_hold_time = o.hold_time;
  if (o.observer) cfg.observer = std::make_shared<connpool::observer>(); // every callback a no-op
  cfg.leak_threshold = std::chrono::milliseconds(o.leak_threshold_ms);
  if (o.fairness == "strict") cfg.fairness = connpool::fairness_mode::strict;
  if (o.fairness_bound_us > 0)
    cfg.fairness_bound =
        std::chrono::duration_cast<connpool::duration>(std::chrono::duration<double, std::micro>(o.fairness_bound_us));
  connpool::pool<int> p(cfg);
  {
    std::vector<connpool::lease<int>> warm;
    for (std::size_t i = 0; i < o.max; ++i)
      warm.push_back(p.get());
  } // M idle connections
  run(o, [&](worker_result& r) {
    return [&] { worker(o, r, [&] { return p.get(); }, [&](connpool::lease<int>& l) { p.put(l); }); };
  });
  const auto s = p.stats();
  if (s.misses != o.max || s.open != o.max) {
    std::fprintf(stderr, "connpool-bench: pool misbehaved (misses=%llu open=%zu)\n",
                 static_cast<unsigned long long>(s.misses), s.open);
    return 1;
  }
  return 0;
}
