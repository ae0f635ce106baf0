# SPDX-License-Identifier: MIT
# Builds the Debian package of the build tree BUILD (cpack -G DEB), prints its
# dpkg -I summary, installs it, then builds and runs the Qt Quick app and the
# g++/Makefiles tool and the qmake project against the installed files. Run by CTest
# (tst_downstream_deb).
#
# With INSTALL_SYSTEM (CI: CONNPOOL_DPKG_INSTALL=1, as root, and no
# libconnpool-dev installed before) the package goes in with `dpkg -i`, the
# consumers find it in /usr the way a user's project would (no prefix path,
# `import ConnPool` from Qt's own QML directory), and `dpkg -r` takes it out
# again, also when a step failed. Otherwise `dpkg -x` unpacks it into
# WORK/root, which changes nothing on the machine.
# Inputs: BUILD, SOURCE (tests/downstream), WORK, CPACK, CXX, GXX, QMAKE.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(STEP_DIR "${WORK}")
step(${CPACK} -G DEB --config "${BUILD}/CPackConfig.cmake" -B "${WORK}/package")
file(GLOB deb "${WORK}/package/*.deb")
step(dpkg -I "${deb}")

set(system_install OFF)
if("$ENV{CONNPOOL_DPKG_INSTALL}" STREQUAL "1")
  execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND dpkg-query -W -f=\${Status} libconnpool-dev OUTPUT_VARIABLE status ERROR_QUIET)
  if(NOT uid STREQUAL "0")
    message(STATUS "CONNPOOL_DPKG_INSTALL=1 but not root: unpacking with dpkg -x instead")
  elseif(status MATCHES "installed")
    message(STATUS "libconnpool-dev is already installed here: left alone, unpacking with dpkg -x instead")
  else()
    set(system_install ON)
  endif()
endif()

if(system_install)
  step(dpkg -i "${deb}")
  set(prefix /usr)
  set(how "dpkg -i")
else()
  step(dpkg -x "${deb}" "${WORK}/root")
  set(prefix "${WORK}/root/usr")
  set(how "dpkg -x")
endif()
message(STATUS "package installed with ${how}; consumers build against ${prefix}")

# The consumers run in a child CMake so that a failure still reaches dpkg -r.
set(run "${CMAKE_CURRENT_LIST_DIR}/run.cmake")
set(failed "")
execute_process(COMMAND ${CMAKE_COMMAND} -DPREFIX=${prefix} -DSOURCE=${SOURCE}/qt -DWORK=${WORK}/qt -DCXX=${CXX}
  -DGENERATOR=Ninja -DPROGRAM=downstream_qt "-DEXPECT=downstream-qt: replies=ping0 ping1 ping2 hits=2 misses=1" -P ${run}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  list(APPEND failed downstream_qt)
endif()
if(GXX)
  execute_process(COMMAND ${CMAKE_COMMAND} -DPREFIX=${prefix} -DSOURCE=${SOURCE}/tool -DWORK=${WORK}/tool -DCXX=${GXX}
    "-DGENERATOR=Unix Makefiles" -DPROGRAM=downstream_tool "-DEXPECT=downstream-tool: replies=ping0 ping1 ping2 hits=2 misses=1"
    -P ${run} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(APPEND failed downstream_tool)
  endif()
endif()
if(QMAKE)
  execute_process(COMMAND ${CMAKE_COMMAND} -DPREFIX=${prefix} -DSOURCE=${SOURCE}/qmake -DWORK=${WORK}/qmake
    -DQMAKE=${QMAKE} "-DEXPECT=downstream-tool: replies=ping0 ping1 ping2 hits=2 misses=1 compiler=gcc"
    -P ${CMAKE_CURRENT_LIST_DIR}/qmake.cmake RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(APPEND failed downstream_qmake)
  endif()
endif()
if(system_install)
  step(dpkg -r libconnpool-dev)
endif()
if(failed)
  message(FATAL_ERROR "against the package (${how}): ${failed} failed")
endif()
