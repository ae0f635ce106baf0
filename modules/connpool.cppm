// SPDX-License-Identifier: MIT
// connpool — a generic, thread-safe connection pool (C++20 named module).
//
//   import connpool;
//   connpool::config<Conn> cfg{.factory = dial, .max_size = 10};
//   connpool::pool<Conn> pool(cfg);
//   auto conn = pool.get(connpool::context::with_timeout(1s)); // lease<Conn>
//   use(*conn);                                                 // returned on scope exit
//
// The public partitions: errors (errc), context, clock (injectable time),
// events (observer, close reasons), histogram (latency), config, metrics
// (the snapshots), lease, pool, openmetrics (Prometheus text), metrics_text
// (reads that text back).
// The machinery behind pool<T>: core.cppm composes it and says where each
// part lives (slot_table, waiter_queue, shards, dialer, lease_tracker, ...);
// read its design comment first.
export module connpool;
export import :version;
export import :errors;
export import :context;
export import :clock;
export import :events;
export import :histogram;
export import :config;
export import :metrics;
export import :policy;
export import :counters;
export import :mutex;
export import :slot_table;
export import :waiter_queue;
export import :shards;
export import :dialer;
export import :lease_tracker;
export import :core;
export import :acquire;
export import :retire;
export import :maintenance;
export import :resize;
export import :stats;
export import :lease;
export import :pool;
export import :openmetrics;
export import :metrics_text;
