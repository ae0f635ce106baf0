# SPDX-License-Identifier: MIT
# tst_version: one version everywhere. project(connpool VERSION ...) is
# EXPECTED; each place it reaches must say the same:
#   the module's connpool::version (PRINT prints it), the package config
#   version file (CONFIG_VERSION), connpool-qt.pc (PC), the .deb (CPACK), the
#   QML module's type exports (QMLTYPES, "ConnPool/SocketPool major.minor")
#   and connpool-demo --version (DEMO, when the demo is built).
cmake_minimum_required(VERSION 3.28)
set(failures "")
macro(expect what got want)
  if(NOT "${got}" STREQUAL "${want}")
    string(APPEND failures "\n  ${what}: '${got}', expected '${want}'")
  else()
    message(STATUS "${what}: ${got}")
  endif()
endmacro()

execute_process(COMMAND ${PRINT} OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
expect("connpool::version" "${out}" "${EXPECTED} ${EXPECTED}")

include(${CONFIG_VERSION}) # sets PACKAGE_VERSION (and checks PACKAGE_FIND_VERSION, unset here)
expect("connpoolConfigVersion.cmake" "${PACKAGE_VERSION}" "${EXPECTED}")

file(STRINGS ${PC} pc_version REGEX "^Version:")
expect("connpool-qt.pc" "${pc_version}" "Version: ${EXPECTED}")

file(STRINGS ${CPACK} deb_version REGEX "^set\\(CPACK_PACKAGE_VERSION \"")
expect(".deb (CPACK_PACKAGE_VERSION)" "${deb_version}" "set(CPACK_PACKAGE_VERSION \"${EXPECTED}\")")

if(QMLTYPES)
  # A type's export is "<URI>/<type> <major>.<minor it was added in>": the
  # module's major must be the library's (import ConnPool <major>.<minor>).
  file(STRINGS ${QMLTYPES} exports REGEX "\"ConnPool/SocketPool ")
  string(REGEX MATCH "ConnPool/SocketPool [0-9]+" export "${exports}")
  string(REGEX MATCH "^[0-9]+" major "${EXPECTED}")
  expect("QML module major version (SocketPool export)" "${export}" "ConnPool/SocketPool ${major}")
endif()

if(DEMO)
  execute_process(COMMAND ${DEMO} --version OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  expect("connpool-demo --version" "${out} (exit ${rc})" "connpool-demo ${EXPECTED} (exit 0)")
endif()

if(failures)
  message(FATAL_ERROR "versions disagree:${failures}")
endif()
