# SPDX-License-Identifier: MIT
# Installs the build tree BUILD into a fresh prefix (or uses PREFIX when given,
# e.g. an unpacked package), then configures, builds and runs the downstream
# project SOURCE against it, and checks what the program prints.
# Run by CTest (tst_downstream*).
# Inputs: BUILD or PREFIX, SOURCE, WORK, PROGRAM, EXPECT (regex), CXX,
#         CXX_FLAGS, LINK_FLAGS, GENERATOR, ARGS (extra -D..., ;-separated).
file(REMOVE_RECURSE "${WORK}")
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
install_unless_prefix()
# A package in /usr is found as a user's project finds it: with no prefix path.
set(prefix_path "")
if(NOT PREFIX STREQUAL "/usr")
  set(prefix_path "-DCMAKE_PREFIX_PATH=${PREFIX}")
endif()
string(TIMESTAMP t0 "%s")
step(${CMAKE_COMMAND} -S "${SOURCE}" -B "${WORK}/build" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
  ${prefix_path} ${ARGS})
string(TIMESTAMP t1 "%s")
step(${CMAKE_COMMAND} --build "${WORK}/build")
string(TIMESTAMP t2 "%s")
math(EXPR configure "${t1} - ${t0}")
math(EXPR build "${t2} - ${t1}")
message(STATUS "${PROGRAM}: configure ${configure} s, build ${build} s (${GENERATOR}, ${CXX})")
if(NOT PROGRAM)
  set(PROGRAM downstream)
endif()
execute_process(COMMAND "${WORK}/build/${PROGRAM}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${PROGRAM} (exit ${rc}): ${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc})")
endif()
if(EXPECT AND NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} printed no line matching ${EXPECT}")
endif()
