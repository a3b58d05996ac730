/* SPDX-License-Identifier: MIT */
/*
 * weir_common.h: maps, knobs and the flow decision shared by weir_xdp and weir_sock.
 *
 * Include after parsing_helpers.h. The decision is returned as a weir_verdict; each program maps it to its
 * own return codes (XDP_PASS/XDP_DROP/XDP_REDIRECT, or accept/hide for the socket filter).
 */
#ifndef WEIR_COMMON_H
#define WEIR_COMMON_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "weir_abi.h"
#include "parsing_helpers.h"

/* Read-only after load; see struct weir_knobs. Defaults are the safe ones: nothing optional is on. */
const volatile struct weir_knobs weir_knobs = {};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WEIR_DEFAULT_FLOWS);
	__type(key, struct weir_flow_key_v4);
	__type(value, struct weir_flow_value);
} weir_flows_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WEIR_DEFAULT_FLOWS);
	__type(key, struct weir_flow_key_v6);
	__type(value, struct weir_flow_value);
} weir_flows_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WEIR_DEFAULT_BLOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct weir_lpm_key_v4);
	__type(value, struct weir_block_value);
} weir_block_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WEIR_DEFAULT_BLOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct weir_lpm_key_v6);
	__type(value, struct weir_block_value);
} weir_block_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} weir_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weir_control);
} weir_control SEC(".maps");

/* Never read by the programs: the loader fills it so a pin directory records its ABI. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weir_info);
} weir_info SEC(".maps");

enum weir_verdict {
	WEIR_V_PASS = 0,     /* to user space (XDP_PASS / accept) */
	WEIR_V_DROP = 1,     /* XDP_DROP / hidden */
	WEIR_V_REDIRECT = 2, /* XDP only: redirect to the peer */
};

static __always_inline void weir_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&weir_stats, &idx);

	/* Per-CPU slot: no other CPU writes it, a plain add is exact. */
	if (c)
		*c += 1;
}

/* The flow prefilter; sized by the loader (filter_bits). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, (1u << WEIR_FILTER_DEFAULT_BITS) / WEIR_FILTER_SLOT_BUCKETS);
	__type(key, __u32);
	__type(value, struct weir_filter_slot);
} weir_filter SEC(".maps");

/*
 * "Now" for last-seen stamps and idle checks. Helper calls cost 15-30 ns each here (more than a hash
 * lookup), so by default the manager's tick in weir_control is used and no clock is read per packet.
 */
static __always_inline __u64 weir_now(const struct weir_control *ctl)
{
	if (weir_knobs.clock == WEIR_CLOCK_MANAGER)
		return ctl ? ctl->heartbeat_ns : 0;
	if (weir_knobs.clock == WEIR_CLOCK_COARSE)
		return bpf_ktime_get_coarse_ns();
	return bpf_ktime_get_ns();
}

/* False when the prefilter proves the flow absent (its bucket is zero). */
static __always_inline int weir_filter_may_contain(__u32 hash)
{
	struct weir_filter_slot *slot;
	__u32 bucket, element;

	if (!weir_knobs.filter_bits)
		return 1;
	bucket = hash >> (32 - weir_knobs.filter_bits);
	element = bucket / WEIR_FILTER_SLOT_BUCKETS;
	slot = bpf_map_lookup_elem(&weir_filter, &element);
	if (!slot)
		return 1;
	return slot->counts[bucket & (WEIR_FILTER_SLOT_BUCKETS - 1)] != 0;
}

static __always_inline struct weir_control *weir_get_control(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&weir_control, &zero);
}

/* True when the heartbeat check is on and the manager's last heartbeat is older than the limit. */
static __always_inline int weir_heartbeat_stale(const struct weir_control *ctl)
{
	__u64 now;

	if (!weir_knobs.heartbeat_timeout_ns)
		return 0;
	if (!ctl || !ctl->heartbeat_ns)
		return 1;
	/* The manager's clock cannot judge the manager: a real clock is read here (coarse where it exists). */
	now = weir_knobs.clock == WEIR_CLOCK_COARSE ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();
	/* The coarse clock may lag user space's precise one: a heartbeat "from the future" is fresh. */
	return now > ctl->heartbeat_ns && now - ctl->heartbeat_ns > weir_knobs.heartbeat_timeout_ns;
}

/* Looks both addresses up in the block list of their family; counts and returns 1 on a match. */
static __always_inline int weir_blocked(const struct weir_control *ctl, const struct weir_parsed *p)
{
	struct weir_block_value *bv;

	if (!weir_knobs.blocklist_enabled || !ctl)
		return 0;
	if (p->family == 4) {
		struct weir_lpm_key_v4 k = { .prefixlen = 32 };

		if (!ctl->block_v4_entries)
			return 0;
		__builtin_memcpy(k.addr, &p->saddr[0], 4);
		bv = bpf_map_lookup_elem(&weir_block_v4, &k);
		if (!bv) {
			__builtin_memcpy(k.addr, &p->daddr[0], 4);
			bv = bpf_map_lookup_elem(&weir_block_v4, &k);
		}
	} else {
		struct weir_lpm_key_v6 k = { .prefixlen = 128 };

		if (!ctl->block_v6_entries)
			return 0;
		__builtin_memcpy(k.addr, p->saddr, 16);
		bv = bpf_map_lookup_elem(&weir_block_v6, &k);
		if (!bv) {
			__builtin_memcpy(k.addr, p->daddr, 16);
			bv = bpf_map_lookup_elem(&weir_block_v6, &k);
		}
	}
	if (!bv)
		return 0;
	__sync_fetch_and_add(&bv->packets, 1);
	return 1;
}

/* Compares two IPv6 addresses as 128-bit big-endian numbers: <0, 0, >0. */
static __always_inline int weir_addr6_cmp(const __be32 *a, const __be32 *b)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		__u32 x = bpf_ntohl(a[i]), y = bpf_ntohl(b[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/*
 * Finds the flow entry of a parsed packet. The key is normalised exactly as FlowKey.make normalises it
 * (source first when its address is lower, or equal with a port that is lower or equal), so one entry
 * serves both directions; *dir says which direction this packet travels.
 */
static __always_inline struct weir_flow_value *weir_lookup_flow(struct weir_parsed *p, __u32 *dir)
{
	int src_first;

	if (p->family == 4) {
		struct weir_flow_key_v4 k = {};
		__u32 s = bpf_ntohl(p->saddr[0]), d = bpf_ntohl(p->daddr[0]);

		src_first = s < d || (s == d && bpf_ntohs(p->sport) <= bpf_ntohs(p->dport));
		k.addr_a = src_first ? p->saddr[0] : p->daddr[0];
		k.addr_b = src_first ? p->daddr[0] : p->saddr[0];
		k.port_a = src_first ? p->sport : p->dport;
		k.port_b = src_first ? p->dport : p->sport;
		k.vlan_outer = p->vlan[0];
		k.vlan_inner = p->vlan[1];
		k.proto = p->proto;
		*dir = src_first ? WEIR_DIR_A_TO_B : WEIR_DIR_B_TO_A;
		if (!weir_filter_may_contain(weir_filter_hash_v4(&k)))
			return 0;
		return bpf_map_lookup_elem(&weir_flows_v4, &k);
	} else {
		struct weir_flow_key_v6 k = {};
		int c = weir_addr6_cmp(p->saddr, p->daddr);

		src_first = c < 0 || (c == 0 && bpf_ntohs(p->sport) <= bpf_ntohs(p->dport));
		if (src_first) {
			__builtin_memcpy(k.addr_a, p->saddr, 16);
			__builtin_memcpy(k.addr_b, p->daddr, 16);
		} else {
			__builtin_memcpy(k.addr_a, p->daddr, 16);
			__builtin_memcpy(k.addr_b, p->saddr, 16);
		}
		k.port_a = src_first ? p->sport : p->dport;
		k.port_b = src_first ? p->dport : p->sport;
		k.vlan_outer = p->vlan[0];
		k.vlan_inner = p->vlan[1];
		k.proto = p->proto;
		*dir = src_first ? WEIR_DIR_A_TO_B : WEIR_DIR_B_TO_A;
		if (!weir_filter_may_contain(weir_filter_hash_v6(&k)))
			return 0;
		return bpf_map_lookup_elem(&weir_flows_v6, &k);
	}
}

static __always_inline void weir_delete_flow(const struct weir_parsed *p)
{
	/* Re-derive the key rather than keeping it live across the lookup; expiry is the rare path. */
	if (p->family == 4) {
		struct weir_flow_key_v4 k = {};
		__u32 s = bpf_ntohl(p->saddr[0]), d = bpf_ntohl(p->daddr[0]);
		int src_first = s < d || (s == d && bpf_ntohs(p->sport) <= bpf_ntohs(p->dport));

		k.addr_a = src_first ? p->saddr[0] : p->daddr[0];
		k.addr_b = src_first ? p->daddr[0] : p->saddr[0];
		k.port_a = src_first ? p->sport : p->dport;
		k.port_b = src_first ? p->dport : p->sport;
		k.vlan_outer = p->vlan[0];
		k.vlan_inner = p->vlan[1];
		k.proto = p->proto;
		bpf_map_delete_elem(&weir_flows_v4, &k);
	} else {
		struct weir_flow_key_v6 k = {};
		int c = weir_addr6_cmp(p->saddr, p->daddr);
		int src_first = c < 0 || (c == 0 && bpf_ntohs(p->sport) <= bpf_ntohs(p->dport));

		if (src_first) {
			__builtin_memcpy(k.addr_a, p->saddr, 16);
			__builtin_memcpy(k.addr_b, p->daddr, 16);
		} else {
			__builtin_memcpy(k.addr_a, p->daddr, 16);
			__builtin_memcpy(k.addr_b, p->saddr, 16);
		}
		k.port_a = src_first ? p->sport : p->dport;
		k.port_b = src_first ? p->dport : p->sport;
		k.vlan_outer = p->vlan[0];
		k.vlan_inner = p->vlan[1];
		k.proto = p->proto;
		bpf_map_delete_elem(&weir_flows_v6, &k);
	}
}

/* Adds one packet of `bytes` to a flow's counters in direction `dir` (atomic: flows span CPUs). */
static __always_inline void weir_account(struct weir_flow_value *v, __u32 dir, __u32 bytes)
{
	if (dir == WEIR_DIR_A_TO_B) {
		__sync_fetch_and_add(&v->packets[0], 1);
		__sync_fetch_and_add(&v->bytes[0], bytes);
	} else {
		__sync_fetch_and_add(&v->packets[1], 1);
		__sync_fetch_and_add(&v->bytes[1], bytes);
	}
}

/*
 * The whole per-packet decision after parsing: block list, flow lookup, counters, action.
 * `frame_bytes` is what the flow's byte counter grows by. `can_redirect` is 0 for the socket filter.
 * For WEIR_V_REDIRECT the flow is returned in *hit / *hit_dir and is not yet counted: the caller counts
 * it once the redirect was accepted, so a packet that falls back to user space is not counted twice.
 */
static __always_inline enum weir_verdict weir_decide(struct weir_parsed *p, const struct weir_control *ctl,
						     __u32 frame_bytes, int can_redirect,
						     struct weir_flow_value **hit, __u32 *hit_dir)
{
	struct weir_flow_value *v;
	__u32 dir = 0;
	__u64 now;

	if (weir_blocked(ctl, p)) {
		weir_count(WEIR_STAT_BLOCKLIST);
		return WEIR_V_DROP;
	}
	v = weir_lookup_flow(p, &dir);
	if (!v) {
		weir_count(WEIR_STAT_MISS);
		return WEIR_V_PASS;
	}
	now = weir_now(ctl);
	if (weir_knobs.flow_idle_timeout_ns && now > v->last_seen_ns &&
	    now - v->last_seen_ns > weir_knobs.flow_idle_timeout_ns) {
		/* Nobody refreshed this entry: back to inspection rather than blind forever. */
		weir_delete_flow(p);
		weir_count(WEIR_STAT_EXPIRED);
		weir_count(WEIR_STAT_MISS);
		return WEIR_V_PASS;
	}
	weir_count(p->family == 4 ? WEIR_STAT_HIT_V4 : WEIR_STAT_HIT_V6);
	v->last_seen_ns = now;

	if (v->action == WEIR_ACTION_BYPASS || v->action == WEIR_ACTION_BLOCK) {
		if (p->proto == WEIR_IPPROTO_TCP && (p->tcp_flags & (WEIR_TCP_FIN | WEIR_TCP_RST))) {
			v->flags |= (p->tcp_flags & WEIR_TCP_FIN) ? WEIR_FLOW_F_FIN_SEEN : WEIR_FLOW_F_RST_SEEN;
			if (weir_knobs.pass_flow_end) {
				/* User space sees this packet itself, so it is not added to the kernel counters. */
				weir_count(WEIR_STAT_FLOW_END);
				return WEIR_V_PASS;
			}
		}
		weir_account(v, dir, frame_bytes);
		weir_count(v->action == WEIR_ACTION_BYPASS ? WEIR_STAT_BYPASS : WEIR_STAT_BLOCK);
		return WEIR_V_DROP;
	}
	if (v->action == WEIR_ACTION_FAST_FORWARD && can_redirect && weir_knobs.redirect_enabled) {
		*hit = v;
		*hit_dir = dir;
		return WEIR_V_REDIRECT;
	}
	/* Fast-forward without a usable redirect, or an inert entry: user space handles the packet. */
	weir_count(v->action == WEIR_ACTION_FAST_FORWARD ? WEIR_STAT_REDIRECT_ERROR : WEIR_STAT_INERT);
	return WEIR_V_PASS;
}

#endif /* WEIR_COMMON_H */
