# SPDX-License-Identifier: MIT
# tst_demo_screenshot: runs `connpool-demo --screenshot PNG --after 3` and
# checks exit 0, a real PNG (demo_pngcheck) and moving counters in the final
# stats line. A CMake script rather than a Qt Test with QProcess: the demo
# must be spawned by an uninstrumented process, as ThreadSanitizer aborts in
# the clone() that QProcess uses.
# -DDEMO=<connpool-demo> -DCHECK=<demo_pngcheck> -DPNG=<output file>
file(REMOVE ${PNG})
execute_process(COMMAND ${DEMO} --screenshot ${PNG} --after 3
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc
  # Generous: sanitizer builds start the QML engine slowly.
  TIMEOUT 240)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "connpool-demo exited with ${rc}\n${err}")
endif()

if(NOT out MATCHES "stats: [^\n]*gets=([0-9]+)")
  message(FATAL_ERROR "no stats line with gets in:\n${out}\n${err}")
endif()
set(gets ${CMAKE_MATCH_1})
if(NOT out MATCHES "stats: [^\n]* hits=([0-9]+)")
  message(FATAL_ERROR "no hits in the stats line:\n${out}")
endif()
set(hits ${CMAKE_MATCH_1})
if(NOT gets GREATER 0 OR NOT hits GREATER 0)
  message(FATAL_ERROR "counters did not move: gets=${gets} hits=${hits}")
endif()

execute_process(COMMAND ${CHECK} ${PNG} 1440 900 64 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PNG} is not a real picture of the dashboard")
endif()
message("screenshot ok: gets=${gets} hits=${hits}")
