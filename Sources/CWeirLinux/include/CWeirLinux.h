/* SPDX-License-Identifier: MIT */
#ifndef CWEIRLINUX_H
#define CWEIRLINUX_H
#include <stdint.h>

/* Placeholder until the kernel ABI header lands. */
static inline uint32_t cweir_abi_placeholder(void) { return 0; }

#endif
