/* SPDX-License-Identifier: MIT */
#include <hs/hs.h>
