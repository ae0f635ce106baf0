# Builds the Debian package of the build tree BUILD (cpack -G DEB), unpacks it
# with dpkg -x into WORK/root (dpkg -i needs root and changes the machine),
# prints its dpkg -I summary, then builds and runs the Qt Quick app and the
# g++/Makefiles tool against WORK/root/usr. Run by CTest (tst_downstream_deb).
# Inputs: BUILD, SOURCE (tests/downstream), WORK, CPACK, CXX, GXX.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
function(step)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
step(${CPACK} -G DEB --config "${BUILD}/CPackConfig.cmake" -B "${WORK}/package")
file(GLOB deb "${WORK}/package/*.deb")
step(dpkg -I "${deb}")
step(dpkg -x "${deb}" "${WORK}/root")
set(run "${CMAKE_CURRENT_LIST_DIR}/run.cmake")
step(${CMAKE_COMMAND} -DPREFIX=${WORK}/root/usr -DSOURCE=${SOURCE}/qt -DWORK=${WORK}/qt -DCXX=${CXX}
  -DGENERATOR=Ninja -DPROGRAM=downstream_qt "-DEXPECT=downstream-qt: replies=ping0 ping1 ping2 hits=2 misses=1" -P ${run})
if(GXX)
  step(${CMAKE_COMMAND} -DPREFIX=${WORK}/root/usr -DSOURCE=${SOURCE}/tool -DWORK=${WORK}/tool -DCXX=${GXX}
    "-DGENERATOR=Unix Makefiles" -DPROGRAM=downstream_tool "-DEXPECT=downstream-tool: replies=ping0 ping1 ping2 hits=2 misses=1" -P ${run})
endif()
