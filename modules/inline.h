// SPDX-License-Identifier: MIT
// Forced inlining for the pool's fast paths, spelled for each compiler
// (an attribute in another compiler's namespace is ignored with a warning).
// Included in the global module fragment of the units that use it, and
// installed next to them: consumers rebuild the module from those files.
#pragma once

#if defined(_MSC_VER) && !defined(__clang__)
#define CONNPOOL_ALWAYS_INLINE [[msvc::forceinline]]
#define CONNPOOL_NOINLINE [[msvc::noinline]]
#else
#define CONNPOOL_ALWAYS_INLINE [[gnu::always_inline]]
#define CONNPOOL_NOINLINE [[gnu::noinline]]
#endif
