# Install rules and the CMake package: find_package(connpool 0.2 [COMPONENTS Qt Qml]).
#   connpoolTargets.cmake     connpool::connpool (the module; consumers build its BMI)
#   connpoolQtTargets.cmake   connpool::qt (shared, Qt Core + Network, plain headers)
#   connpoolQmlTargets.cmake  connpool::qml (the static QML module ConnPool)
# The targets' own install() rules sit next to them (modules/, qt/): CMake
# records a module file set's install paths relative to where it is installed.
include(CMakePackageConfigHelpers)
install(EXPORT connpoolTargets NAMESPACE connpool::
  DESTINATION ${CONNPOOL_CMAKE_DIR}
  CXX_MODULES_DIRECTORY cxx-modules)

if(TARGET connpool_qt)
  install(EXPORT connpoolQtTargets NAMESPACE connpool:: DESTINATION ${CONNPOOL_CMAKE_DIR})
endif()
if(TARGET connpool_qtplugin)
  install(EXPORT connpoolQmlTargets NAMESPACE connpool:: DESTINATION ${CONNPOOL_CMAKE_DIR})
endif()

set(CONNPOOL_QT_MIN_VERSION 6.4)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/connpoolConfig.cmake.in
  ${PROJECT_BINARY_DIR}/connpoolConfig.cmake
  INSTALL_DESTINATION ${CONNPOOL_CMAKE_DIR}
  PATH_VARS CONNPOOL_INSTALL_QMLDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/connpoolConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/connpoolConfig.cmake
  ${PROJECT_BINARY_DIR}/connpoolConfigVersion.cmake
  DESTINATION ${CONNPOOL_CMAKE_DIR})
