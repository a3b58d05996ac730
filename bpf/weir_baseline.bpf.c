/* SPDX-License-Identifier: MIT */
/*
 * Baselines for `weir bench`: the cheapest XDP program, the cheapest accepting socket filter, and two
 * references for what a kernel hash table alone costs: an XDP program that does nothing but one LRU_HASH
 * hit, and a socket filter that does nothing but read the frame's headers once (a socket filter has no
 * direct packet access) and one LRU_HASH hit. The flow tables are slot arrays because of these figures.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "weir_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct weir_flow_key_v4);
	__type(value, struct weir_flow_value);
} weir_floor SEC(".maps");

SEC("xdp")
int weir_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Looks up the key whose addr_a is the frame length (user space inserts it) and drops on a hit. */
SEC("xdp")
int weir_xdp_floor(struct xdp_md *ctx)
{
	struct weir_flow_key_v4 k = {};

	k.addr_a = ctx->data_end - ctx->data;
	return bpf_map_lookup_elem(&weir_floor, &k) ? XDP_DROP : XDP_PASS;
}

/*
 * One load of the 54 header bytes weir_sock reads for an IPv4/TCP frame, then the lookup of the key whose
 * addr_a is the frame length, taken from the loaded IPv4 total length (Ethernet header + tot_len).
 */
SEC("socket")
int weir_sock_floor(struct __sk_buff *skb)
{
	struct weir_flow_key_v4 k = {};
	__u8 window[56] __attribute__((aligned(8)));

	if (bpf_skb_load_bytes_relative(skb, 0, window, 54, BPF_HDR_START_MAC))
		return skb->len;
	k.addr_a = 14 + (window[16] << 8 | window[17]);
	return bpf_map_lookup_elem(&weir_floor, &k) ? 0 : skb->len;
}

SEC("socket")
int weir_sock_all(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
