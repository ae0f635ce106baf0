// connpool — a generic, thread-safe connection pool (C++20 named module).
//
//   import connpool;
//   connpool::config<Conn> cfg{.factory = dial, .max_size = 10};
//   connpool::pool<Conn> pool(cfg);
//   auto conn = pool.get(connpool::context::with_timeout(1s)); // lease<Conn>
//   use(*conn);                                                 // returned on scope exit
//
// Partitions: errors (errc), context, clock (injectable time), events
// (observer, close reasons), histogram (latency), config, metrics, policy (pure decisions), core (shared state; design
// comment there), lease, pool, openmetrics (Prometheus text).
export module connpool;
export import :errors;
export import :context;
export import :clock;
export import :events;
export import :histogram;
export import :config;
export import :metrics;
export import :policy;
export import :counters;
export import :core;
export import :lease;
export import :pool;
export import :openmetrics;
