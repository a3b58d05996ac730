/* SPDX-License-Identifier: MIT */
/* Baselines for `weir bench`: the cheapest XDP program and the cheapest accepting socket filter. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int weir_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("socket")
int weir_sock_all(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
