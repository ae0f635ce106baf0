# SPDX-License-Identifier: MIT
# Installs the build tree BUILD into a fresh prefix (or uses PREFIX when
# given, e.g. an installed package), builds the qmake project SOURCE against
# it with qmake6 (QMAKE) through pkg-config, runs it and checks what it prints.
# Run by CTest (tst_downstream_qmake, tst_downstream_deb).
# Inputs: BUILD or PREFIX, SOURCE, WORK, QMAKE, EXPECT (regex).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/build")
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(STEP_DIR "${WORK}/build")
install_unless_prefix()
# A package in /usr is on pkg-config's own path; any other prefix is named.
if(NOT PREFIX STREQUAL "/usr")
  file(GLOB_RECURSE pc "${PREFIX}/*/connpool-qt.pc")
  cmake_path(GET pc PARENT_PATH pcdir)
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
endif()
string(TIMESTAMP t0 "%s")
step(${QMAKE} "${SOURCE}")
string(TIMESTAMP t1 "%s")
step(make -j2)
string(TIMESTAMP t2 "%s")
math(EXPR configure "${t1} - ${t0}")
math(EXPR build "${t2} - ${t1}")
message(STATUS "downstream_qmake: qmake ${configure} s, make ${build} s")
execute_process(COMMAND "${WORK}/build/downstream_qmake" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "downstream_qmake (exit ${rc}): ${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "downstream_qmake failed (${rc}) or printed no line matching ${EXPECT}")
endif()
