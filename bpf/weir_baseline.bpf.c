/* SPDX-License-Identifier: MIT */
/*
 * Baselines for `weir bench`: the cheapest XDP program, the cheapest accepting socket filter, and the
 * floor of any flow-table design here: an XDP program that does nothing but one hash-map hit.
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

SEC("socket")
int weir_sock_all(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
