/* SPDX-License-Identifier: MIT */
/*
 * parsing_helpers.h: the one packet parser of weir_xdp and weir_sock.
 *
 * Before including this file a program defines `struct weir_pkt` and
 *     static __always_inline const void *weir_header(const struct weir_pkt *pkt, __u32 off, void *buf,
 *                                                    __u32 len);
 * which returns a pointer to the `len` bytes found `off` bytes after the first byte of the Ethernet
 * header, or NULL when the frame is shorter. XDP returns a pointer into the packet (no copy); the socket
 * filter copies into `buf` with bpf_skb_load_bytes_relative(BPF_HDR_START_MAC) and returns `buf`. Both see
 * the same offsets and so make the same decisions for the same frame.
 *
 * All addresses, ports and VLAN ids stay in network byte order.
 */
#ifndef WEIR_PARSING_HELPERS_H
#define WEIR_PARSING_HELPERS_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>
#include "weir_abi.h"

#define WEIR_ETH_HLEN 14
#define WEIR_ETH_P_IP 0x0800
#define WEIR_ETH_P_IPV6 0x86DD
#define WEIR_ETH_P_8021Q 0x8100
#define WEIR_ETH_P_8021AD 0x88A8

#define WEIR_IPPROTO_HOPOPTS 0
#define WEIR_IPPROTO_ICMP 1
#define WEIR_IPPROTO_TCP 6
#define WEIR_IPPROTO_UDP 17
#define WEIR_IPPROTO_ROUTING 43
#define WEIR_IPPROTO_FRAGMENT 44
#define WEIR_IPPROTO_AH 51
#define WEIR_IPPROTO_ICMPV6 58
#define WEIR_IPPROTO_DSTOPTS 60

#define WEIR_TCP_FIN 0x01
#define WEIR_TCP_RST 0x04

/* Largest offset of any header we read; keeps packet offsets provably small for the verifier. */
#define WEIR_MAX_HDR_OFF 1024

/* weir_parse's return value when the packet yielded a flow tuple; any other value is a WEIR_STAT_*. */
#define WEIR_PARSE_OK 255

/* What the parser extracts from one frame. */
struct weir_parsed {
	__be32 saddr[4]; /* IPv4 uses saddr[0] only */
	__be32 daddr[4];
	__be16 sport; /* 0 unless TCP or UDP */
	__be16 dport;
	__be16 vlan[WEIR_VLAN_MAX_DEPTH]; /* id & 0x0fff, network order, outermost first */
	__u32 l2_len;                     /* bytes before the IP header (Ethernet + in-frame tags) */
	__u32 ip_len;                     /* IP datagram length as the IP header states it */
	__u8 family;                      /* 4 or 6 */
	__u8 proto;                       /* transport protocol after IPv6 extension headers */
	__u8 tcp_flags;
	__u8 vlan_count; /* tags seen, including one the caller preset (stripped by the NIC) */
};

struct weir_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct weir_ipv4_hdr {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 proto;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
};

struct weir_ipv6_hdr {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

struct weir_tcp_hdr {
	__be16 sport;
	__be16 dport;
	__be32 seq;
	__be32 ack;
	__u8 doff_res;
	__u8 flags;
	__be16 window;
	__be16 check;
	__be16 urg;
};

struct weir_udp_hdr {
	__be16 sport;
	__be16 dport;
	__be16 len;
	__be16 check;
};

/* Reads the transport ports (and TCP flags); returns WEIR_PARSE_OK or a WEIR_STAT_*. */
static __always_inline int weir_parse_l4(const struct weir_pkt *pkt, __u32 off, struct weir_parsed *p)
{
	if (off > WEIR_MAX_HDR_OFF)
		return WEIR_STAT_PARSE_ERROR;
	if (p->proto == WEIR_IPPROTO_TCP) {
		struct weir_tcp_hdr buf;
		/* The whole fixed header, as user space's decoder requires before it trusts the ports. */
		const struct weir_tcp_hdr *th = weir_header(pkt, off, &buf, sizeof(buf));

		if (!th || (th->doff_res >> 4) < 5)
			return WEIR_STAT_PARSE_ERROR;
		p->sport = th->sport;
		p->dport = th->dport;
		p->tcp_flags = th->flags;
		return WEIR_PARSE_OK;
	}
	if (p->proto == WEIR_IPPROTO_UDP) {
		struct weir_udp_hdr buf;
		const struct weir_udp_hdr *uh = weir_header(pkt, off, &buf, sizeof(buf));

		if (!uh)
			return WEIR_STAT_PARSE_ERROR;
		p->sport = uh->sport;
		p->dport = uh->dport;
		return WEIR_PARSE_OK;
	}
	/* ICMP flows are keyed without ports, as FlowKey keys them. */
	if (p->proto == WEIR_IPPROTO_ICMP || p->proto == WEIR_IPPROTO_ICMPV6)
		return WEIR_PARSE_OK;
	/* Tunnels and everything else stay with user space: a key without the inner flow would hide it. */
	return WEIR_STAT_OTHER_L4;
}

static __always_inline int weir_parse_ipv4(const struct weir_pkt *pkt, __u32 off, struct weir_parsed *p)
{
	struct weir_ipv4_hdr buf;
	const struct weir_ipv4_hdr *ih = weir_header(pkt, off, &buf, sizeof(buf));
	__u32 ihl;

	if (!ih)
		return WEIR_STAT_PARSE_ERROR;
	ihl = (ih->ver_ihl & 0x0f) * 4;
	if ((ih->ver_ihl >> 4) != 4 || ihl < sizeof(buf) || bpf_ntohs(ih->tot_len) < ihl)
		return WEIR_STAT_PARSE_ERROR;
	/* MF set or a non-zero offset: first and later fragments alike go to user space (RFC 791). */
	if (ih->frag_off & bpf_htons(0x3fff))
		return WEIR_STAT_FRAGMENT;
	p->family = 4;
	p->proto = ih->proto;
	p->saddr[0] = ih->saddr;
	p->daddr[0] = ih->daddr;
	p->ip_len = bpf_ntohs(ih->tot_len);
	/* IHL honoured: options are skipped, never read as ports. */
	return weir_parse_l4(pkt, off + ihl, p);
}

static __always_inline int weir_parse_ipv6(const struct weir_pkt *pkt, __u32 off, struct weir_parsed *p)
{
	struct weir_ipv6_hdr buf;
	const struct weir_ipv6_hdr *ih = weir_header(pkt, off, &buf, sizeof(buf));
	__u8 nexthdr;
	int i;

	if (!ih)
		return WEIR_STAT_PARSE_ERROR;
	if ((bpf_ntohl(ih->ver_tc_flow) >> 28) != 6)
		return WEIR_STAT_PARSE_ERROR;
	p->family = 6;
#pragma unroll
	for (i = 0; i < 4; i++) {
		p->saddr[i] = ih->saddr[i];
		p->daddr[i] = ih->daddr[i];
	}
	p->ip_len = bpf_ntohs(ih->payload_len) + sizeof(buf);
	nexthdr = ih->nexthdr;
	off += sizeof(buf);

	/* Bounded walk over the extension headers RFC 8200 section 4 defines (plus AH, RFC 4302). */
#pragma unroll
	for (i = 0; i < WEIR_IPV6_EXT_MAX; i++) {
		__u8 ebuf[2];
		const __u8 *eh;

		if (nexthdr == WEIR_IPPROTO_FRAGMENT)
			return WEIR_STAT_FRAGMENT;
		if (nexthdr != WEIR_IPPROTO_HOPOPTS && nexthdr != WEIR_IPPROTO_ROUTING &&
		    nexthdr != WEIR_IPPROTO_DSTOPTS && nexthdr != WEIR_IPPROTO_AH)
			break;
		eh = off > WEIR_MAX_HDR_OFF ? NULL : weir_header(pkt, off, ebuf, sizeof(ebuf));
		if (!eh)
			return WEIR_STAT_PARSE_ERROR;
		/* AH counts its length in 4-octet units minus 2, the others in 8-octet units minus 1. */
		if (nexthdr == WEIR_IPPROTO_AH)
			off += ((__u32)eh[1] + 2) * 4;
		else
			off += ((__u32)eh[1] + 1) * 8;
		nexthdr = eh[0];
	}
	if (nexthdr == WEIR_IPPROTO_FRAGMENT)
		return WEIR_STAT_FRAGMENT;
	if (nexthdr == WEIR_IPPROTO_HOPOPTS || nexthdr == WEIR_IPPROTO_ROUTING ||
	    nexthdr == WEIR_IPPROTO_DSTOPTS || nexthdr == WEIR_IPPROTO_AH)
		return WEIR_STAT_IPV6_EXT;
	p->proto = nexthdr;
	return weir_parse_l4(pkt, off, p);
}

/* Clears what the parser may leave untouched (the rest is always written before it is read). */
static __always_inline void weir_parsed_init(struct weir_parsed *p)
{
	p->sport = 0;
	p->dport = 0;
	p->vlan[0] = 0;
	p->vlan[1] = 0;
	p->tcp_flags = 0;
	p->vlan_count = 0;
}

/*
 * Parses Ethernet, up to WEIR_VLAN_MAX_DEPTH 802.1Q/802.1ad tags (counting any tag the caller preset in
 * p->vlan_count), then IPv4 or IPv6 and the transport ports. Call weir_parsed_init first.
 * Returns WEIR_PARSE_OK, or the WEIR_STAT_* index that says why the packet must go to user space.
 */
static __always_inline int weir_parse(const struct weir_pkt *pkt, struct weir_parsed *p)
{
	__be16 pbuf;
	const __be16 *type = weir_header(pkt, 12, &pbuf, sizeof(pbuf));
	__be16 proto;
	__u32 off = WEIR_ETH_HLEN;
	int i;

	if (!type)
		return WEIR_STAT_PARSE_ERROR;
	proto = *type;

#pragma unroll
	for (i = 0; i < WEIR_VLAN_MAX_DEPTH; i++) {
		struct weir_vlan_hdr vbuf;
		const struct weir_vlan_hdr *vh;

		if (proto != bpf_htons(WEIR_ETH_P_8021Q) && proto != bpf_htons(WEIR_ETH_P_8021AD))
			break;
		if (p->vlan_count >= WEIR_VLAN_MAX_DEPTH)
			return WEIR_STAT_VLAN_DEPTH;
		vh = weir_header(pkt, off, &vbuf, sizeof(vbuf));
		if (!vh)
			return WEIR_STAT_PARSE_ERROR;
		/* The TCI is big-endian on the wire: mask in network order, no byte swap needed. */
		if (p->vlan_count == 0)
			p->vlan[0] = vh->tci & bpf_htons(0x0fff);
		else
			p->vlan[1] = vh->tci & bpf_htons(0x0fff);
		p->vlan_count++;
		proto = vh->proto;
		off += sizeof(vbuf);
	}
	if (proto == bpf_htons(WEIR_ETH_P_8021Q) || proto == bpf_htons(WEIR_ETH_P_8021AD))
		return WEIR_STAT_VLAN_DEPTH;

	p->l2_len = off;
	if (proto == bpf_htons(WEIR_ETH_P_IP))
		return weir_parse_ipv4(pkt, off, p);
	if (proto == bpf_htons(WEIR_ETH_P_IPV6))
		return weir_parse_ipv6(pkt, off, p);
	return WEIR_STAT_NOT_IP;
}

#endif /* WEIR_PARSING_HELPERS_H */
