/* SPDX-License-Identifier: MIT */
/*
 * CWeirLinux: the kernel ABI shared with the BPF programs, and the Linux macros Swift cannot import.
 * Shim functions are pure pass-throughs named cweir_<verb>_<object>; all policy lives in Swift.
 */
#ifndef CWEIRLINUX_H
#define CWEIRLINUX_H
#include <stdint.h>

/* The one ABI definition; a relative include because Swift's importer ignores headerSearchPath. */
#include "../../../bpf/include/weir_abi.h"

/* XDP_FLAGS_MODES is an OR of macros and does not import. */
static inline uint32_t cweir_xdp_flags_modes(void) { return (1U << 1) | (1U << 2) | (1U << 3); }

/* unshare(CLONE_NEWNET) for the calling thread only; needs _GNU_SOURCE, which Swift's Glibc lacks. */
int cweir_unshare_netns(void);

/* setns(fd, CLONE_NEWNET) for the calling thread. */
int cweir_setns_net(int fd);

/* An AF_PACKET SOCK_RAW socket for every protocol, bound to ifindex; -1 and errno on failure. */
int cweir_packet_socket(int ifindex);

/* sendto() of one complete frame on a packet socket, to ifindex. */
long cweir_packet_send(int fd, int ifindex, const void *frame, unsigned long length);

#endif
