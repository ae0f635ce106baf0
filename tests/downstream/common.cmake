# SPDX-License-Identifier: MIT
# Shared by the downstream scripts (run.cmake, qmake.cmake, deb.cmake).
#
# step(<command> <arg>...): runs the command in STEP_DIR (default: the
# directory the script runs in) and stops the script when it fails.
function(step)
  set(dir "${STEP_DIR}")
  if(NOT dir)
    set(dir "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${dir}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

# install_unless_prefix(): when no PREFIX is given, installs the build tree
# BUILD into WORK/prefix and sets PREFIX to it.
macro(install_unless_prefix)
  if(NOT PREFIX)
    set(PREFIX "${WORK}/prefix")
    step(${CMAKE_COMMAND} --install "${BUILD}" --prefix "${PREFIX}")
  endif()
endmacro()
