/* SPDX-License-Identifier: MIT */
/*
 * CWeirLinux: the kernel ABI shared with the BPF programs, and the Linux macros Swift cannot import.
 * Shim functions are pure pass-throughs named cweir_<verb>_<object>; all policy lives in Swift.
 */
#ifndef CWEIRLINUX_H
#define CWEIRLINUX_H
#include <stdint.h>
/* The TPACKET_V3 structs. Never <netpacket/packet.h> in a module Swift also imports (sockaddr_ll clash). */
#include <linux/if_packet.h>

/* The one ABI definition; a relative include because Swift's importer ignores headerSearchPath. */
#include "../../../bpf/include/weir_abi.h"

/* XDP_FLAGS_MODES is an OR of macros and does not import. */
static inline uint32_t cweir_xdp_flags_modes(void) { return (1U << 1) | (1U << 2) | (1U << 3); }

/* unshare(CLONE_NEWNET) for the calling thread only; needs _GNU_SOURCE, which Swift's Glibc lacks. */
int cweir_unshare_netns(void);

/* setns(fd, CLONE_NEWNET) for the calling thread. */
int cweir_setns_net(int fd);

/* statfs(2)'s f_type of path (BPF_FS_MAGIC for a bpffs), or 0 and errno when it cannot be read. */
unsigned long cweir_filesystem_type(const char *path);

/* Tests only: forks a child that only waits (pause) until killed, holding copies of every descriptor, as a
 * child between fork and exec does. Returns its pid, or -1. */
int cweir_fork_idle_child(void);

/* An AF_PACKET SOCK_RAW socket for every protocol, bound to ifindex; -1 and errno on failure. */
int cweir_packet_socket(int ifindex);

/* sendto() of one complete frame on a packet socket, to ifindex. */
long cweir_packet_send(int fd, int ifindex, const void *frame, unsigned long length);

/* TPACKET_ALIGN() does not import. */
static inline uint32_t cweir_tpacket_align(uint32_t x) { return TPACKET_ALIGN(x); }

/* A TPACKET_V3 block's status, read with acquire ordering: the frames are valid once TP_STATUS_USER shows. */
static inline uint32_t cweir_block_status(const struct tpacket_block_desc *block)
{
	return __atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
}

/* Hands a block back to the kernel, after every read of its frames (release ordering). */
static inline void cweir_block_release(struct tpacket_block_desc *block)
{
	__atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/*
 * Blocks SIGINT and SIGTERM for the calling thread (and threads it starts) and returns a signalfd that
 * becomes readable when one arrives, so a capture loop can poll for it; -1 and errno on failure.
 */
int cweir_stop_signal_fd(void);
/*
 * SIGHUP counts a log-reopen request (see cweir_reopen_generation) and SIGUSR2 a rule-reload request (see
 * cweir_reload_generation): a live sensor survives both. SIGPIPE is ignored.
 */
int cweir_ignore_operator_signals(void);
/* Makes `target` refer to the file `fresh` refers to, close-on-exec (dup3); -1 and errno on failure. */
int cweir_replace_descriptor(int fresh, int target);
/* systemd Type=notify: sends `state` ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET; 0 when unset, 1 sent, -1 error. */
int cweir_sd_notify(const char *state);
/* How many SIGHUPs have arrived: a worker that sees the count change reopens its log files. */
unsigned long cweir_reopen_generation(void);
/* Sets the calling thread's nice value (the rule-reload build yields the CPU to the workers); -1 and errno on failure. */
int cweir_lower_thread_priority(int nice);
/* Pins the calling thread to the `count` CPUs in `cpus` (threading.cpu-affinity); -1 and errno on failure. */
int cweir_pin_thread(const int *cpus, int count);
/* The CPUs the calling thread may run on, into `cpus` (room for `capacity`); their number, or -1 and errno. */
int cweir_thread_cpus(int *cpus, int capacity);
/* The calling thread's nice value (errno tells a failure from -1). */
int cweir_thread_nice(void);
/* How many SIGUSR2s have arrived: the control thread reloads the rules when the count changes. */
unsigned long cweir_reload_generation(void);
/* SIGPIPE is ignored: a closed pipe or socket becomes an EPIPE write error, never the end of the process. */
int cweir_ignore_sigpipe(void);

/* The interface's ARPHRD_* hardware type (SIOCGIFHWADDR), or -1 and errno. */
int cweir_interface_hardware_type(const char *name);

/* Opens the existing tun device `name` (IFF_TUN | IFF_NO_PI): what is written to the descriptor arrives on
 * the interface as received raw IP packets. -1 and errno on failure. */
int cweir_tun_attach(const char *name);

/* bind() of a packet socket to ifindex for every protocol. */
int cweir_packet_bind(int fd, int ifindex);

/* PACKET_ADD_MEMBERSHIP with PACKET_MR_PROMISC on ifindex (dropped with the socket). */
int cweir_packet_promisc(int fd, int ifindex);

#include "cweir_crash_flush.h"

#endif
