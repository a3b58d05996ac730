/* SPDX-License-Identifier: MIT */
/* mimalloc (Debian's libmimalloc-dev): the process allocator. Linked into the weir executable, its shared library
 * defines malloc, free and the rest ahead of glibc, so every allocation of the process (Swift's, libhtp's, zlib's,
 * libbpf's) goes to it. Only the version and an ownership check are called by name. */
#include <mimalloc.h>
