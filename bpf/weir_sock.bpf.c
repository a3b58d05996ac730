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

/*
 * Socket filters have no direct packet access and every load is a helper call (10-20 ns here, more than
 * the rest of the program). The common frames (untagged or one tag; IPv4 without options or IPv6 without
 * extension headers; TCP, UDP, ICMP) are read from one load of the frame's first bytes at constant offsets;
 * every other frame goes through the shared parser, which loads header by header. Both make the same
 * decision for every frame: the fast path only takes frames on which the shared parser cannot differ.
 */
#define WEIR_SOCK_WINDOW 80
#define WEIR_SOCK_MIN_WINDOW 54

/* The frame is stored from byte 2 so that the IP header starts 4-aligned (the verifier wants aligned
 * stack reads). */
struct weir_window {
	__u8 pad[2];
	__u8 bytes[WEIR_SOCK_WINDOW];
	__u8 tail[6];
} __attribute__((aligned(8)));

struct weir_pkt {
	struct __sk_buff *skb;
};

/* Declared here so the loads can read the knob; defined (once) by weir_common.h. */
extern const volatile struct weir_knobs weir_knobs;

static __always_inline long weir_sock_load(struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	/* Kernels before 4.18 lack the relative load; their live sockets start at L2 anyway. */
	if (weir_knobs.legacy_loads)
		return bpf_skb_load_bytes(skb, off, to, len);
	return bpf_skb_load_bytes_relative(skb, off, to, len, BPF_HDR_START_MAC);
}

/* Copies a header into `buf` and returns it, or NULL when the frame is shorter. */
static __always_inline const void *weir_header(const struct weir_pkt *pkt, __u32 off, void *buf, __u32 len)
{
	return weir_sock_load(pkt->skb, off, buf, len) ? 0 : buf;
}

#include "weir_common.h"

/* Transport ports at constant offset `l4` of the window; returns WEIR_PARSE_OK or -1 (not handled). */
static __always_inline int weir_sock_fast_l4(const struct weir_window *w, __u32 have, __u32 l4, struct weir_parsed *p)
{
	if (p->proto == WEIR_IPPROTO_TCP) {
		const struct weir_tcp_hdr *th = (const void *)(w->bytes + l4);

		if (have < l4 + sizeof(*th) || (th->doff_res >> 4) < 5)
			return -1;
		p->sport = th->sport;
		p->dport = th->dport;
		p->tcp_flags = th->flags;
		return WEIR_PARSE_OK;
	}
	if (p->proto == WEIR_IPPROTO_UDP) {
		const struct weir_udp_hdr *uh = (const void *)(w->bytes + l4);

		if (have < l4 + sizeof(*uh))
			return -1;
		p->sport = uh->sport;
		p->dport = uh->dport;
		return WEIR_PARSE_OK;
	}
	if (p->proto == WEIR_IPPROTO_ICMP || p->proto == WEIR_IPPROTO_ICMPV6)
		return WEIR_PARSE_OK;
	return -1;
}

/*
 * IPv4 at constant offset `l3` of the window (14 untagged, 18 with one tag): the decision, straight from
 * the window's fields into weir_decide_v4, or -1 when the shared parser must look at the frame.
 */
static __always_inline int weir_sock_fast_v4(const struct weir_window *w, __u32 have, __u32 l3, __be16 vlan,
					     __u32 stripped, const struct weir_control *ctl)
{
	const struct weir_ipv4_hdr *ih = (const void *)(w->bytes + l3);
	const struct weir_tcp_hdr *th = (const void *)(w->bytes + l3 + sizeof(*ih));
	struct weir_flow_value *hit = 0;
	__u32 hit_dir = 0;
	__be16 sport = 0, dport = 0;
	__u8 flags = 0;

	if (have < l3 + sizeof(*ih) || ih->ver_ihl != 0x45 || bpf_ntohs(ih->tot_len) < sizeof(*ih) ||
	    (ih->frag_off & bpf_htons(0x3fff)))
		return -1;
	if (ih->proto == WEIR_IPPROTO_TCP) {
		if (have < l3 + sizeof(*ih) + sizeof(*th) || (th->doff_res >> 4) < 5)
			return -1;
		sport = th->sport;
		dport = th->dport;
		flags = th->flags;
	} else if (ih->proto == WEIR_IPPROTO_UDP) {
		if (have < l3 + sizeof(*ih) + sizeof(struct weir_udp_hdr))
			return -1;
		sport = th->sport;
		dport = th->dport;
	} else if (ih->proto != WEIR_IPPROTO_ICMP) {
		return -1;
	}
	return weir_decide_v4(ctl, ih->saddr, ih->daddr, sport, dport, vlan, 0, ih->proto, flags,
			      stripped + l3 + bpf_ntohs(ih->tot_len), 0, &hit, &hit_dir);
}

/* IPv6 without extension headers at constant offset `l3`: the decision, or -1. */
static __always_inline int weir_sock_fast_v6(const struct weir_window *w, __u32 have, __u32 l3, __u32 stripped,
					     const struct weir_control *ctl, struct weir_parsed *p)
{
	const struct weir_ipv6_hdr *ih = (const void *)(w->bytes + l3);
	struct weir_flow_value *hit = 0;
	__u32 hit_dir = 0;
	int i;

	if (have < l3 + sizeof(*ih) || (bpf_ntohl(ih->ver_tc_flow) >> 28) != 6)
		return -1;
	p->family = 6;
	p->proto = ih->nexthdr;
#pragma unroll
	for (i = 0; i < 4; i++) {
		p->saddr[i] = ih->saddr[i];
		p->daddr[i] = ih->daddr[i];
	}
	p->ip_len = bpf_ntohs(ih->payload_len) + sizeof(*ih);
	p->l2_len = l3;
	if (weir_sock_fast_l4(w, have, l3 + sizeof(*ih), p) != WEIR_PARSE_OK)
		return -1;
	return weir_decide(p, ctl, stripped + l3 + p->ip_len, 0, &hit, &hit_dir);
}

/*
 * The fast path over the window: untagged or one tag (in the frame, or stripped by the NIC), then IPv4
 * or IPv6 as above. Returns the decision, or -1 to send the frame to the shared parser.
 * `p` holds the stripped tag, if any, on entry.
 */
static __always_inline int weir_sock_fast(const struct weir_window *w, __u32 have, __u32 stripped,
					  const struct weir_control *ctl, struct weir_parsed *p)
{
	__be16 type = *(const __be16 *)(w->bytes + 12);
	__u32 l3 = WEIR_ETH_HLEN;

	if (type == bpf_htons(WEIR_ETH_P_8021Q) || type == bpf_htons(WEIR_ETH_P_8021AD)) {
		const struct weir_vlan_hdr *vh = (const void *)(w->bytes + WEIR_ETH_HLEN);

		/* One in-frame tag only, and only while no stripped tag already took the outer slot. */
		if (p->vlan_count != 0)
			return -1;
		p->vlan[0] = vh->tci & bpf_htons(0x0fff);
		p->vlan_count = 1;
		type = vh->proto;
		l3 = WEIR_ETH_HLEN + sizeof(*vh);
	}
	if (type == bpf_htons(WEIR_ETH_P_IP)) {
		/* Two constant offsets, so every window read below stays at a constant stack offset. */
		if (l3 == WEIR_ETH_HLEN)
			return weir_sock_fast_v4(w, have, WEIR_ETH_HLEN, p->vlan[0], stripped, ctl);
		return weir_sock_fast_v4(w, have, WEIR_ETH_HLEN + 4, p->vlan[0], stripped, ctl);
	}
	if (type == bpf_htons(WEIR_ETH_P_IPV6)) {
		if (l3 == WEIR_ETH_HLEN)
			return weir_sock_fast_v6(w, have, WEIR_ETH_HLEN, stripped, ctl, p);
		return weir_sock_fast_v6(w, have, WEIR_ETH_HLEN + 4, stripped, ctl, p);
	}
	return -1;
}

SEC("socket")
int weir_sock(struct __sk_buff *skb)
{
	struct weir_pkt pkt;
	struct weir_parsed p;
	struct weir_control *ctl = weir_get_control();
	struct weir_flow_value *hit = 0;
	__u32 hit_dir = 0;
	__u32 stripped = 0;
	int rc = -1;

	struct weir_window w;
	__u32 have = 0;

	pkt.skb = skb;
	/* 54 bytes hold Ethernet + IPv4 + TCP and every Ethernet frame has them (60 at least); the rest of
	 * the window is loaded only for frames that can need it. */
	if (!weir_sock_load(skb, 0, w.bytes, WEIR_SOCK_MIN_WINDOW)) {
		have = WEIR_SOCK_MIN_WINDOW;
		if (*(const __be16 *)(w.bytes + 12) != bpf_htons(WEIR_ETH_P_IP) &&
		    !weir_sock_load(skb, WEIR_SOCK_MIN_WINDOW, w.bytes + WEIR_SOCK_MIN_WINDOW,
				    WEIR_SOCK_WINDOW - WEIR_SOCK_MIN_WINDOW))
			have = WEIR_SOCK_WINDOW;
	}

	weir_parsed_init(&p);
	if (skb->vlan_present) {
		p.vlan[0] = bpf_htons(skb->vlan_tci & 0x0fff);
		p.vlan_count = 1;
		stripped = 4;
	}
	if (have)
		rc = weir_sock_fast(&w, have, stripped, ctl, &p);
	if (rc >= 0)
		return rc == WEIR_V_DROP ? 0 : skb->len;

	/* Start again with the shared parser, from a clean slate. */
	weir_parsed_init(&p);
	if (stripped) {
		p.vlan[0] = bpf_htons(skb->vlan_tci & 0x0fff);
		p.vlan_count = 1;
	}
	rc = weir_parse(&pkt, &p);
	if (rc != WEIR_PARSE_OK) {
		weir_count(rc);
		return skb->len;
	}
	if (weir_decide(&p, ctl, stripped + p.l2_len + p.ip_len, 0, &hit, &hit_dir) == WEIR_V_DROP)
		return 0;
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
