// SPDX-License-Identifier: MIT
// Test support, pool model: the operations a run is made of. One `op` is a
// kind and four numbers whose meaning depends on the kind (listed beside
// each kind); `generate` makes a weighted random sequence from a seed (the
// model test), `decode` reads one from raw bytes (the fuzz target), and
// `describe` prints one for a failure report. Plain data: nothing here knows
// the pool.
#pragma once

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace pool_model {

enum class kind : std::uint8_t {
  get,            // a: context, b: bit0 factory throws, bit1 throwing form; c: how a wait ends; d: lease
  put,            // a: lease; b: bit0 throwing form
  discard,        // a: lease; b: bit0 throwing form
  drop,           // a: lease (its destructor returns it)
  reassign,       // a = std::move(b) between two leases (gives a's connection back)
  invalid_return, // b: empty/foreign/orphan lease put or discarded; c: bit0 throwing form
  foreign,        // a: get from / return to the other pool, or drop an orphan of a destroyed pool
  advance,        // a: scale, d: amount (the pool's manual clock)
  maintain,       // a: context (stopped: no pings, no top-up); b % 8 == 0: the factory throws
  fault,          // a: which live connection, b: ping ok/false/throws/slow, or toggle close throws
  close,          // a: expired / stopped / drain (a helper returns every lease); b: bit0 throwing form
  destroy,        // ~pool with leases out; then a new pool with config seed d
  set_max_size,   // a: grow / shrink / invalid; b: bit0 throwing form; d: amount
  set_max_idle,   // a: the value; b: bit0 throwing form
  set_min_idle,   // a: the value; b: bit0 throwing form
  set_duration,   // a: max_idle_time / max_age / health_check_interval; b: bit0 throwing form; c: the value
  drain,          //
  warm_up,        // a: context; b: bit0 factory throws, bit1 throwing form; c: target
  kinds
};

struct op {
  kind k = kind::get;
  std::uint8_t a = 0, b = 0, c = 0;
  std::uint16_t d = 0;
};

inline const char* kind_name(kind k) {
  static const char* names[] = {
      "get",          "put",          "discard",      "drop",         "reassign", "invalid_return",
      "foreign",      "advance",      "maintain",     "fault",        "close",    "destroy",
      "set_max_size", "set_max_idle", "set_min_idle", "set_duration", "drain",    "warm_up"};
  return k < kind::kinds ? names[static_cast<int>(k)] : "?";
}

inline std::string describe(const op& o) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "{%s, a=%u, b=%u, c=%u, d=%u}", kind_name(o.k), unsigned(o.a), unsigned(o.b),
                unsigned(o.c), unsigned(o.d));
  return buf;
}

/// Random operations, weighted towards get and put; `seed` makes them.
inline std::vector<op> generate(std::uint32_t seed, std::size_t n) {
  std::mt19937 r(seed);
  struct weight {
    kind k;
    int w;
  };
  static constexpr weight weights[] = {{kind::get, 300},         {kind::put, 170},        {kind::discard, 45},
                                       {kind::drop, 45},         {kind::reassign, 20},    {kind::invalid_return, 25},
                                       {kind::foreign, 30},      {kind::advance, 90},     {kind::maintain, 70},
                                       {kind::fault, 80},        {kind::close, 8},        {kind::destroy, 4},
                                       {kind::set_max_size, 14}, {kind::set_max_idle, 6}, {kind::set_min_idle, 6},
                                       {kind::set_duration, 8},  {kind::drain, 5},        {kind::warm_up, 10}};
  int total = 0;
  for (auto& w : weights)
    total += w.w;
  std::vector<op> ops;
  ops.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    int x = static_cast<int>(r() % static_cast<unsigned>(total));
    op o;
    for (auto& w : weights) {
      if (x < w.w) {
        o.k = w.k;
        break;
      }
      x -= w.w;
    }
    o.a = static_cast<std::uint8_t>(r());
    o.b = static_cast<std::uint8_t>(r());
    o.c = static_cast<std::uint8_t>(r());
    o.d = static_cast<std::uint16_t>(r());
    if (o.k == kind::get || o.k == kind::warm_up)
      o.b = static_cast<std::uint8_t>((r() % 10 == 0 ? 1 : 0) | (r() % 5 == 0 ? 2 : 0));
    ops.push_back(o);
  }
  return ops;
}

/// Operations decoded from raw bytes (the fuzzer's input): 6 bytes each.
inline std::vector<op> decode(const std::uint8_t* data, std::size_t size) {
  std::vector<op> ops;
  for (std::size_t i = 0; i + 6 <= size; i += 6) {
    op o;
    o.k = static_cast<kind>(data[i] % static_cast<unsigned>(kind::kinds));
    o.a = data[i + 1];
    o.b = data[i + 2];
    o.c = data[i + 3];
    o.d = static_cast<std::uint16_t>(data[i + 4] | (data[i + 5] << 8));
    ops.push_back(o);
  }
  return ops;
}

} // namespace pool_model
