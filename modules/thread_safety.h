// SPDX-License-Identifier: MIT
// Clang's thread-safety annotations (-Wthread-safety), empty elsewhere: the
// compiler, not a comment, checks that a function documented as "caller
// holds the lock" is only called with it held, and that a guarded field is
// only touched under its mutex. Included in the global module fragment of
// the units that use it and installed next to them (like inline.h).
#pragma once

#if defined(__clang__)
#define CONNPOOL_TSA(x) __attribute__((x))
#else
#define CONNPOOL_TSA(x)
#endif

#define CONNPOOL_CAPABILITY(x) CONNPOOL_TSA(capability(x))
#define CONNPOOL_SCOPED_CAPABILITY CONNPOOL_TSA(scoped_lockable)
#define CONNPOOL_GUARDED_BY(x) CONNPOOL_TSA(guarded_by(x))
#define CONNPOOL_PT_GUARDED_BY(x) CONNPOOL_TSA(pt_guarded_by(x))
#define CONNPOOL_REQUIRES(...) CONNPOOL_TSA(requires_capability(__VA_ARGS__))
#define CONNPOOL_ACQUIRE(...) CONNPOOL_TSA(acquire_capability(__VA_ARGS__))
#define CONNPOOL_RELEASE(...) CONNPOOL_TSA(release_capability(__VA_ARGS__))
#define CONNPOOL_EXCLUDES(...) CONNPOOL_TSA(locks_excluded(__VA_ARGS__))
#define CONNPOOL_NO_THREAD_SAFETY_ANALYSIS CONNPOOL_TSA(no_thread_safety_analysis)
