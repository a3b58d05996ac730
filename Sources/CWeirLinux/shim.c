/* SPDX-License-Identifier: MIT */
#include "CWeirLinux.h"
