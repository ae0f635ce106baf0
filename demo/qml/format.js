// SPDX-License-Identifier: MIT
.pragma library

// Milliseconds as the sliders show them: "off" for 0, "250 ms", "1.5 s".
function msecs(v) { return v <= 0 ? "off" : (v >= 1000 ? (v / 1000).toFixed(v % 1000 ? 1 : 0) + " s" : v + " ms") }
