# SPDX-License-Identifier: MIT
# Install directories, set before the targets' install() rules.
set(CONNPOOL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/connpool)
# Where the QML module goes, relative to the prefix: Qt's own QML directory
# relative to Qt's prefix (Debian: lib/<arch>/qt6/qml), so a package for /usr
# lands where the engine always looks and any other prefix gets the same
# layout (the package config says where: connpool_QML_DIR).
if(NOT DEFINED CONNPOOL_INSTALL_QMLDIR)
  if(DEFINED QT6_INSTALL_QML AND NOT IS_ABSOLUTE "${QT6_INSTALL_QML}")
    set(CONNPOOL_INSTALL_QMLDIR ${QT6_INSTALL_QML})
  else()
    set(CONNPOOL_INSTALL_QMLDIR ${CMAKE_INSTALL_LIBDIR}/qml)
  endif()
endif()
set(CONNPOOL_INSTALL_QMLDIR ${CONNPOOL_INSTALL_QMLDIR} CACHE STRING "QML import directory, relative to the prefix")
