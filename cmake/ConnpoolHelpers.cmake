# SPDX-License-Identifier: MIT
# connpool_add_test(NAME <name> SOURCES <files...> [LIBS <targets...>] [WRAPPER <command...>])
# One Qt Test executable that imports connpool, registered with CTest;
# WRAPPER runs it (its path the last argument), e.g. a script that starts a
# server for it first.
function(connpool_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;WRAPPER" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  set_target_properties(${T_NAME} PROPERTIES AUTOMOC ON CXX_SCAN_FOR_MODULES ON)
  target_link_libraries(${T_NAME} PRIVATE connpool::connpool Qt6::Test ${T_LIBS})
  if(T_WRAPPER)
    add_test(NAME ${T_NAME} COMMAND ${T_WRAPPER} $<TARGET_FILE:${T_NAME}>)
  else()
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT 300
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp;ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=halt_on_error=1 print_stacktrace=1;LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
endfunction()
