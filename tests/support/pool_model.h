// SPDX-License-Identifier: MIT
// Test support: a reference model of connpool::pool<T> and a runner that
// drives a real pool and the model side by side through a sequence of
// operations, checking after every step that they agree exactly (result
// codes, the connection handed out, every metric including closed_by per
// close reason and the breaker/limit gauges, which connections were closed)
// and that the invariants hold (closed_by sums to closed, created - closed ==
// open between steps, idle <= max_idle, no connection leased twice, none
// closed twice, all closed exactly once by the end). Used by
// tests/tst_pool_model.cpp (seeded random sequences) and
// tests/fuzz/fuzz_pool.cpp (sequences decoded from fuzzer input).
//
// The model knows slots: every connection lives in a slot index, taken from
// a LIFO stack of free indices (lowest on top at first), and high_water (the
// slots ever used). Shrinking, drain and set_max_idle act lowest slot first;
// a maintenance pass only visits slots below the high water it started with.
//
// What is modelled exactly (deterministic on the pool's manual clock):
//  - get/put/discard/close/destroy/maintain as before; runtime set_max_size
//    (grow serves a waiter; shrink claims idle slots lowest first to close as
//    `resized`, then flags leased ones lowest first, each retiring on return
//    only if the pool is still over max_size then), set_max_idle (closes the
//    lowest idle slots over it), set_min_idle, set_max_idle_time (idle time
//    counts from the change for connections returned while it was 0),
//    set_max_age, set_health_check_interval, invalid values of each
//    (invalid_config, nothing changes); drain (idle ones closed now, the
//    others flagged and closed `drained` on return); warm_up(n, ctx);
//    min_idle (maintain() replaces an expired connection before closing it
//    when min_idle asks and there is room, then tops up after the health
//    check); idle_order::fifo (the connection idle the longest is taken,
//    exactly); max_retirements_per_second (the token bucket on the pool clock,
//    same arithmetic: an expired-by-age connection over the budget stays);
//    closed_by for every reason; circuit_opens/circuit_rejects/circuit_open.
//  - The circuit breaker (backoff_initial) is modelled with tolerance for its
//    jitter: after a failure at t with delay d, a dial before t + d/2 must be
//    rejected (circuit_open, counted in circuit_rejects for gets) and a dial
//    at or after t + d must be let through (the probe; doubling on each
//    failed probe up to backoff_max). The runner never dials in between:
//    before an op that may dial while the pool clock is in [t + d/2, t + d)
//    it advances the clock to t + d (part of the step, known to the model).
//  - Not in the model configs: max_age_jitter (per-connection random cut),
//    background_dials, max_connecting, leak_threshold, observer,
//    track_hold_time (histograms are not compared).
//
// Idle order, lifo (the default): the pool does not promise one global order.
// The model holds it to this rule: a get first claims the slot the calling
// thread last put a connection back into the idle list from (its hint; a
// thread's hint starts at slot 0), if that slot holds an idle connection:
// handed out when fresh and answering its ping, else closed and counted.
// Otherwise any idle connection may come next: the model accepts the pool's
// choice when the one handed out is idle and usable and every connection the
// get closed on the way was idle and stale or failed its ping (checked in the
// order observed: the hint's close first), then follows that choice. When no
// other idle connection is usable there is no choice (all are closed, lowest
// slot first, then the get dials or waits). The hint is not binding after
// the thread used another pool since setting it (the pool remembers hints in
// a small per-thread cache of pools; an evicted entry restarts at slot 0).
//
// Real time enters in one place: health_check_timeout (50 us). A healthy ping
// under it may be preempted past it; the pool then rightly counts a late
// ping as failed, and the model accepts that for such a ping only.
//
// Pool bugs this model found (each now a regression test in
// tst_pool_model.cpp, see docs/reliability.md): a shrink counted the idle
// connections it claimed twice, so too few leased ones were flagged; drain()
// skipped a connection a shrink had flagged; warm_up(n > max_idle) never
// returned.
//
// Single-threaded and deterministic: the pool's clock is a manual_clock,
// maintenance is driven by maintain(), and a get that must wait is only issued
// when a helper thread will end the wait in a known way (cancel, put, discard,
// close, set_max_size growing) once the pool reports the waiter. Pure
// connpool: no Qt. Include after `import connpool;`.
//
// The parts, each its own file in pool_model/:
//  - common.h:        the connection type, the factory's exception, shared names
//  - operations.h:    the operations (op, kind), generate, decode, describe
//  - settings.h:      the pool configurations a config seed picks
//  - totals.h:        the figures summed across runs
//  - fake_backend.h:  the factory, close and ping the pool is given: ids,
//                     injected faults, every close recorded
//  - model_state.h:   the model's state of one pool (plain data)
//  - model.h:         the reference model's transitions; model_get.h its get()
//  - helper_thread.h: the thread that ends a wait, and the hang watchdog
//  - runner.h:        the loop and the pool's lifetime; its steps in
//                     steps_get.h, steps_leases.h, steps_pool.h; its checks
//                     in checks.h
//  - shrink.h:        delta debugging of a failing sequence
#pragma once

#include "pool_model/common.h"
#include "pool_model/fake_backend.h"
#include "pool_model/helper_thread.h"
#include "pool_model/model.h"
#include "pool_model/operations.h"
#include "pool_model/runner.h"
#include "pool_model/settings.h"
#include "pool_model/shrink.h"
#include "pool_model/totals.h"
