/* SPDX-License-Identifier: MIT */
/*
 * weir_sock: the socket-filter twin of weir_xdp for AF_PACKET capture sockets. Same maps, same parser, same
 * decision; a dropped packet is only hidden from this socket (return 0), everything else is accepted whole.
 *
 * Offsets are taken from the MAC header (bpf_skb_load_bytes_relative, BPF_HDR_START_MAC), which is right both
 * on a live SOCK_RAW socket (skb->data at L2) and under BPF_PROG_TEST_RUN (skb->data at L3). A tag the NIC
 * stripped arrives in skb->vlan_tci and counts as the outer VLAN.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "weir_abi.h"

struct weir_pkt {
	struct __sk_buff *skb;
};

/* Declared here so weir_load can read the knob; defined (once) by weir_common.h. */
extern const volatile struct weir_knobs weir_knobs;

/* Copies the header into `buf` (socket filters have no direct packet access) and returns it. */
static __always_inline const void *weir_header(const struct weir_pkt *pkt, __u32 off, void *buf, __u32 len)
{
	long rc;

	/* Kernels before 4.18 lack the relative load; their live sockets start at L2 anyway. */
	if (weir_knobs.legacy_loads)
		rc = bpf_skb_load_bytes(pkt->skb, off, buf, len);
	else
		rc = bpf_skb_load_bytes_relative(pkt->skb, off, buf, len, BPF_HDR_START_MAC);
	return rc ? 0 : buf;
}

#include "weir_common.h"

SEC("socket")
int weir_sock(struct __sk_buff *skb)
{
	struct weir_pkt pkt = { .skb = skb };
	struct weir_parsed p;
	struct weir_control *ctl = weir_get_control();
	__u32 stripped = 0;
	int rc;

	weir_parsed_init(&p);
	if (skb->vlan_present) {
		p.vlan[0] = bpf_htons(skb->vlan_tci & 0x0fff);
		p.vlan_count = 1;
		stripped = 4;
	}
	rc = weir_parse(&pkt, &p);
	if (rc != WEIR_PARSE_OK) {
		weir_count(rc);
		return skb->len;
	}
	if (weir_decide(&p, ctl, stripped + p.l2_len + p.ip_len, 0) == WEIR_V_DROP)
		return 0;
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
