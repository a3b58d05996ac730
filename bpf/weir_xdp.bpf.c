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

SEC("xdp")
int weir_xdp(struct xdp_md *ctx)
{
	struct weir_pkt pkt = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
	};
	struct weir_parsed p;
	struct weir_control *ctl = weir_get_control();
	struct weir_flow_value *hit = 0;
	__u32 hit_dir = 0;
	int rc;

	weir_parsed_init(&p);
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

	rc = weir_parse(&pkt, &p);
	if (rc != WEIR_PARSE_OK) {
		weir_count(rc);
		return XDP_PASS;
	}
	switch (weir_decide(&p, ctl, p.l2_len + p.ip_len, 1, &hit, &hit_dir)) {
	case WEIR_V_DROP:
		return XDP_DROP;
	case WEIR_V_REDIRECT:
		return hit ? weir_redirect(hit, hit_dir, p.l2_len + p.ip_len) : XDP_PASS;
	default:
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
