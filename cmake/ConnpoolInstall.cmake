# SPDX-License-Identifier: MIT
# Install rules and the CMake package: find_package(connpool 0.2 [COMPONENTS Qt Qml]).
#   connpoolTargets.cmake     connpool::connpool (the module; consumers build its BMI)
#   connpoolQtTargets.cmake   connpool::qt (shared, Qt Core + Network + Sql, plain headers)
#   connpoolQmlTargets.cmake  connpool::qml (the QML module ConnPool's backing library)
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

# The license (MIT, SPDX-License-Identifier: MIT): LICENSE for every install,
# and in the Debian package as the machine-readable copyright file at the
# path Debian policy gives it.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/connpool)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian-copyright
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libconnpool-dev RENAME copyright)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)

# cpack -G DEB (from the release build): one -dev package with the library,
# headers, module sources, CMake package, pkg-config file and QML module,
# depending on the Debian packages a consumer builds with.
set(CPACK_PACKAGE_NAME connpool)
set(CPACK_PACKAGE_VENDOR "connpool")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 connection pool (named module) with a Qt 6 socket pool and QML module")
set(CPACK_PACKAGE_CONTACT "connpool maintainers <connpool@localhost>")
set(CPACK_DEBIAN_PACKAGE_NAME libconnpool-dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# libqt6qml6: the QML module's plugin and backing library link Qt Qml.
# libqt6sql6: connpool::qt links Qt Sql (SqlPool).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libqt6core6 (>= 6.4), libqt6network6 (>= 6.4), libqt6sql6 (>= 6.4), libqt6qml6 (>= 6.4), qt6-base-dev (>= 6.4)")
# Building against connpool::qml (Qt Qml's headers) and `import connpool;`
# (CMake >= 3.28, clang >= 16).
# SqlPool's drivers for SQLite and PostgreSQL.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-declarative-dev (>= 6.4), libqt6sql6-sqlite (>= 6.4)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake (>= 3.28), ninja-build, clang-19, clang-tools-19, qmake6, pkgconf, libqt6sql6-psql (>= 6.4)")
include(CPack)
