/* SPDX-License-Identifier: MIT */
/* pcap/bpf.h defines a classic-BPF struct bpf_insn that clashes with linux/bpf.h's eBPF one
 * once both modules meet in one Swift module; rename libpcap's (same ABI). */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
