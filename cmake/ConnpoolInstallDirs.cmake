# Install directories, set before the targets' install() rules.
set(CONNPOOL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/connpool)
# Where the QML module goes: Qt's own QML directory when installing into Qt's
# prefix (a package for /usr), else <prefix>/lib/qml.
if(NOT DEFINED CONNPOOL_INSTALL_QMLDIR)
  set(CONNPOOL_INSTALL_QMLDIR ${CMAKE_INSTALL_LIBDIR}/qml)
  if(DEFINED QT6_INSTALL_PREFIX AND DEFINED QT6_INSTALL_QML)
    cmake_path(ABSOLUTE_PATH QT6_INSTALL_PREFIX NORMALIZE OUTPUT_VARIABLE qt_prefix)
    cmake_path(ABSOLUTE_PATH CMAKE_INSTALL_PREFIX NORMALIZE OUTPUT_VARIABLE our_prefix)
    if(qt_prefix STREQUAL our_prefix)
      set(CONNPOOL_INSTALL_QMLDIR ${QT6_INSTALL_QML})
    endif()
  endif()
endif()
set(CONNPOOL_INSTALL_QMLDIR ${CONNPOOL_INSTALL_QMLDIR} CACHE STRING "QML import directory, relative to the prefix")

