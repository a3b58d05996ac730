/* SPDX-License-Identifier: MIT */
/* zlib (Debian's zlib1g-dev): inflate for HTTP request bodies. inflateInit2 is a macro Swift cannot call. */
#include <zlib.h>

static inline int cweir_inflate_init2(z_stream *stream, int window_bits)
{
	return inflateInit2(stream, window_bits);
}

/* deflateInit2 is a macro too (tests compress with it). */
static inline int cweir_deflate_init2(z_stream *stream, int level, int window_bits)
{
	return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}
