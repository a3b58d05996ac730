/* SPDX-License-Identifier: MIT */
/*
 * weir_xdp: the XDP bypass program. Parses Ethernet / VLAN / IPv4 / IPv6 / TCP / UDP, checks the block
 * lists and the flow tables, and drops, redirects or passes the frame. See weir_common.h for the decision.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct weir_pkt {
	void *data;
	void *data_end;
};

/* Direct packet access: a pointer into the frame, no copy (`buf` is unused). */
static __always_inline const void *weir_header(const struct weir_pkt *pkt, __u32 off, void *buf, __u32 len)
{
	void *at;

	/* Verifier: a packet offset must be bounded before it is added to the packet pointer. */
	if (off > 1024)
		return 0;
	at = pkt->data + off;
	if (at + len > pkt->data_end)
		return 0;
	return at;
}

#include "weir_common.h"

/*
 * The peer interface of an IPS pair (key 0 → ifindex); empty in IDS mode. Never pinned: the loader sets it
 * on every load, and libbpf 1.1 cannot reuse a pinned devmap (the kernel adds BPF_F_RDONLY_PROG to it).
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} weir_tx_peer SEC(".maps");

static __always_inline int weir_redirect(struct weir_flow_value *v, __u32 dir, __u32 bytes)
{
	/*
	 * The flags' low bits are the action when key 0 holds no device: pass to user space, never abort
	 * (Suricata's weakness #7). Transmit errors after XDP_REDIRECT are the kernel's (xdp_redirect_err
	 * tracepoint), not seen here.
	 */
	int rc = bpf_redirect_map(&weir_tx_peer, 0, XDP_PASS);

	if (rc == XDP_REDIRECT) {
		weir_account(v, dir, bytes);
		weir_count(WEIR_STAT_REDIRECT);
	} else {
		weir_count(WEIR_STAT_REDIRECT_ERROR);
	}
	return rc;
}

/*
 * The common frames go straight from the packet to weir_decide_v4 behind one bounds check: untagged or
 * one 802.1Q/802.1ad tag (`l2` = 14 or 18), IPv4 without options and not a fragment, then TCP with its
 * whole fixed header, UDP or ICMP. These are exactly the frames on which the shared parser succeeds
 * without a choice, and the fields passed on are the ones it would extract, so the decision is the same;
 * every other frame (or a frame too short for the check) returns -1 and takes the shared parser.
 */
static __always_inline int weir_xdp_fast(void *data, void *data_end, __u32 l2, __be16 vlan,
					 const struct weir_control *ctl, struct weir_flow_value **hit,
					 __u32 *hit_dir, __u32 *frame_bytes)
{
	const struct weir_ipv4_hdr *ih = data + l2;
	const struct weir_tcp_hdr *th = data + l2 + sizeof(*ih);
	__be16 sport = 0, dport = 0;
	__u8 flags = 0;

	if (data + l2 + sizeof(*ih) + sizeof(*th) > data_end)
		return -1;
	if (ih->ver_ihl != 0x45 || bpf_ntohs(ih->tot_len) < sizeof(*ih) || (ih->frag_off & bpf_htons(0x3fff)))
		return -1;
	if (ih->proto == WEIR_IPPROTO_TCP) {
		if ((th->doff_res >> 4) < 5)
			return -1;
		sport = th->sport;
		dport = th->dport;
		flags = th->flags;
	} else if (ih->proto == WEIR_IPPROTO_UDP) {
		/* The UDP ports sit where TCP's do. */
		sport = th->sport;
		dport = th->dport;
	} else if (ih->proto != WEIR_IPPROTO_ICMP) {
		return -1;
	}
	*frame_bytes = l2 + bpf_ntohs(ih->tot_len);
	return weir_decide_v4(ctl, ih->saddr, ih->daddr, sport, dport, vlan, 0, ih->proto, flags, *frame_bytes, 1,
			      hit, hit_dir);
}

SEC("xdp")
int weir_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct weir_pkt pkt = {
		.data = data,
		.data_end = data_end,
	};
	struct weir_parsed p;
	struct weir_control *ctl = weir_get_control();
	struct weir_flow_value *hit = 0;
	__u32 hit_dir = 0;
	__u32 frame_bytes = 0;
	int rc = -1;

	if (weir_heartbeat_stale(ctl)) {
		if (weir_knobs.fail_mode == WEIR_FAIL_CLOSED) {
			weir_count(WEIR_STAT_FAIL_CLOSED);
			return XDP_DROP;
		}
		weir_count(WEIR_STAT_FAIL_OPEN);
		if (weir_knobs.redirect_enabled)
			return bpf_redirect_map(&weir_tx_peer, 0, XDP_PASS);
		return XDP_PASS;
	}

	if (data + WEIR_ETH_HLEN + sizeof(struct weir_vlan_hdr) <= data_end) {
		__be16 type = *(const __be16 *)(data + 12);

		if (type == bpf_htons(WEIR_ETH_P_IP)) {
			rc = weir_xdp_fast(data, data_end, WEIR_ETH_HLEN, 0, ctl, &hit, &hit_dir, &frame_bytes);
		} else if (type == bpf_htons(WEIR_ETH_P_8021Q) || type == bpf_htons(WEIR_ETH_P_8021AD)) {
			const struct weir_vlan_hdr *vh = data + WEIR_ETH_HLEN;

			if (vh->proto == bpf_htons(WEIR_ETH_P_IP))
				rc = weir_xdp_fast(data, data_end, WEIR_ETH_HLEN + sizeof(*vh),
						   vh->tci & bpf_htons(0x0fff), ctl, &hit, &hit_dir, &frame_bytes);
		}
	}
	if (rc < 0) {
		weir_parsed_init(&p);
		rc = weir_parse(&pkt, &p);
		if (rc != WEIR_PARSE_OK) {
			weir_count(rc);
			return XDP_PASS;
		}
		frame_bytes = p.l2_len + p.ip_len;
		rc = weir_decide(&p, ctl, frame_bytes, 1, &hit, &hit_dir);
	}
	switch (rc) {
	case WEIR_V_DROP:
		return XDP_DROP;
	case WEIR_V_REDIRECT:
		return hit ? weir_redirect(hit, hit_dir, frame_bytes) : XDP_PASS;
	default:
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
