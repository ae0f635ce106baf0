// SPDX-License-Identifier: MIT
// CONNPOOL_QT_EXPORT: marks the Qt layer's classes for its shared library
// (dllexport while building it, dllimport for its users on Windows; default
// visibility elsewhere).
#pragma once

#include <QtCore/qglobal.h>

#if defined(CONNPOOL_QT_BUILDING)
#define CONNPOOL_QT_EXPORT Q_DECL_EXPORT
#else
#define CONNPOOL_QT_EXPORT Q_DECL_IMPORT
#endif
