/* SPDX-License-Identifier: MIT */
/* hiredis (libhiredis-dev): the blocking client the Redis EVE transport drives from its own writer thread. */
#include <hiredis/hiredis.h>
