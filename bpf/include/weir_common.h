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

/*
 * The flow tables: arrays of slots that user space fills (see weir_flow_slot_v4 in weir_abi.h). A lookup is
 * a few inlined array reads; a hash map's lookup is a chain of kernel function calls, which cost more than
 * the whole rest of the program on kernels with return-thunk mitigations. Sized by the loader (slot_bits).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << 17);
	__type(key, __u32);
	__type(value, struct weir_flow_slot_v4);
} weir_flows_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << 17);
	__type(key, __u32);
	__type(value, struct weir_flow_slot_v6);
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

/* Never read by the programs: user space keeps its flow-table bookkeeping here (see weir_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weir_table_stats);
} weir_tbl_stats SEC(".maps");

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

/* The slot index `i` steps after `home` in a table of 2^slot_bits slots. */
static __always_inline __u32 weir_slot_index(__u32 home, __u32 i)
{
	return (home + i) & ((1u << weir_knobs.slot_bits) - 1);
}

/*
 * weir_hash_mix with the key from the knobs: read through the volatile object, as the loader writes it
 * after compilation (a non-volatile copy would let the compiler fold in the zero initialiser).
 */
static __always_inline __u32 weir_kernel_hash(const __u32 *words, int count)
{
	__u64 h = weir_knobs.hash_key.k[0];
	int i;

#pragma unroll
	for (i = 0; i < count && i + 1 < WEIR_HASH_KEY_WORDS; i++)
		h += (__u64)words[i] * weir_knobs.hash_key.k[i + 1];
	return weir_hash_finish(h);
}

/* A slot's tag, read once from memory (user space may be rewriting it). */
static __always_inline __u32 weir_slot_tag(const __u32 *tag)
{
	return *(const volatile __u32 *)tag;
}

/*
 * The IPv4 flow's value, or NULL: probes the WEIR_FLOW_PROBE slots after the key's home slot, stopping at
 * an EMPTY one. `k` must be 8-aligned (it is compared as two words and a half). A match counts only if the
 * slot's tag is the same before and after the key comparison (see weir_flow_slot_v4).
 */
static __always_inline struct weir_flow_value *weir_lookup_v4(const struct weir_flow_key_v4 *k)
{
	__u32 home = weir_flow_home(weir_kernel_hash((const __u32 *)k, sizeof(*k) / 4), weir_knobs.slot_bits);
	__u64 w0 = *(const __u64 *)&k->addr_a, w1 = *(const __u64 *)&k->port_a;
	__u32 w2 = *(const __u32 *)&k->proto;
	int i;

#pragma unroll
	for (i = 0; i < WEIR_FLOW_PROBE; i++) {
		__u32 idx = weir_slot_index(home, i);
		struct weir_flow_slot_v4 *slot = bpf_map_lookup_elem(&weir_flows_v4, &idx);
		__u32 tag;

		if (!slot)
			return 0;
		tag = weir_slot_tag(&slot->tag);
		if ((tag & WEIR_SLOT_STATE_MASK) == WEIR_SLOT_EMPTY)
			return 0;
		if ((tag & WEIR_SLOT_STATE_MASK) != WEIR_SLOT_LIVE)
			continue;
		/* The compiler must not move the key's loads across the tag's. */
		asm volatile("" ::: "memory");
		if (*(__u64 *)&slot->key.addr_a == w0 && *(__u64 *)&slot->key.port_a == w1 &&
		    *(__u32 *)&slot->key.proto == w2) {
			asm volatile("" ::: "memory");
			if (weir_slot_tag(&slot->tag) == tag)
				return &slot->value;
			return 0; /* rewritten under us: user space handles this packet */
		}
	}
	return 0;
}

/* weir_lookup_v4 for IPv6 keys. */
static __always_inline struct weir_flow_value *weir_lookup_v6(const struct weir_flow_key_v6 *k)
{
	__u32 home = weir_flow_home(weir_kernel_hash((const __u32 *)k, sizeof(*k) / 4), weir_knobs.slot_bits);
	const __u32 *want = (const __u32 *)k;
	int i, j;

#pragma unroll
	for (i = 0; i < WEIR_FLOW_PROBE; i++) {
		__u32 idx = weir_slot_index(home, i);
		struct weir_flow_slot_v6 *slot = bpf_map_lookup_elem(&weir_flows_v6, &idx);
		const __u32 *have;
		__u32 tag, diff = 0;

		if (!slot)
			return 0;
		tag = weir_slot_tag(&slot->tag);
		if ((tag & WEIR_SLOT_STATE_MASK) == WEIR_SLOT_EMPTY)
			return 0;
		if ((tag & WEIR_SLOT_STATE_MASK) != WEIR_SLOT_LIVE)
			continue;
		asm volatile("" ::: "memory");
		have = (const __u32 *)&slot->key;
#pragma unroll
		for (j = 0; j < (int)(sizeof(*k) / 4); j++)
			diff |= have[j] ^ want[j];
		if (!diff) {
			asm volatile("" ::: "memory");
			if (weir_slot_tag(&slot->tag) == tag)
				return &slot->value;
			return 0;
		}
	}
	return 0;
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

/* Counts a block-list match; returns 1 when `bv` is one. */
static __always_inline int weir_block_hit(struct weir_block_value *bv)
{
	if (!bv)
		return 0;
	__atomic_fetch_add(&bv->packets, 1, __ATOMIC_RELAXED);
	return 1;
}

/* Looks both IPv4 addresses up in the IPv4 block list; counts and returns 1 on a match. */
static __always_inline int weir_blocked_v4(const struct weir_control *ctl, __be32 saddr, __be32 daddr)
{
	struct weir_lpm_key_v4 k = { .prefixlen = 32 };
	struct weir_block_value *bv;

	if (!weir_knobs.blocklist_enabled || !ctl || !ctl->block_v4_entries)
		return 0;
	__builtin_memcpy(k.addr, &saddr, 4);
	bv = bpf_map_lookup_elem(&weir_block_v4, &k);
	if (!bv) {
		__builtin_memcpy(k.addr, &daddr, 4);
		bv = bpf_map_lookup_elem(&weir_block_v4, &k);
	}
	return weir_block_hit(bv);
}

/* Looks both IPv6 addresses up in the IPv6 block list; counts and returns 1 on a match. */
static __always_inline int weir_blocked_v6(const struct weir_control *ctl, const struct weir_parsed *p)
{
	struct weir_lpm_key_v6 k = { .prefixlen = 128 };
	struct weir_block_value *bv;

	if (!weir_knobs.blocklist_enabled || !ctl || !ctl->block_v6_entries)
		return 0;
	__builtin_memcpy(k.addr, p->saddr, 16);
	bv = bpf_map_lookup_elem(&weir_block_v6, &k);
	if (!bv) {
		__builtin_memcpy(k.addr, p->daddr, 16);
		bv = bpf_map_lookup_elem(&weir_block_v6, &k);
	}
	return weir_block_hit(bv);
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
 * Builds the IPv4 key of a packet and returns its direction. The key is normalised exactly as FlowKey.make
 * normalises it (source first when its address is lower, or equal with a port that is lower or equal), so
 * one entry serves both directions.
 *
 * The key is written as whole 64-bit words composed in registers: the kernel's jhash and memcmp read it
 * as words right after, and a load that spans several narrower stores cannot be forwarded from the store
 * buffer.
 */
static __always_inline __u32 weir_key_v4(struct weir_flow_key_v4 *k, __be32 saddr, __be32 daddr, __be16 sport,
					  __be16 dport, __be16 vlan_outer, __be16 vlan_inner, __u8 proto)
{
	__u32 s = bpf_ntohl(saddr), d = bpf_ntohl(daddr);
	int src_first = s < d || (s == d && bpf_ntohs(sport) <= bpf_ntohs(dport));
	__u64 addrs, rest;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weir_key_v4 composes the key's words for a little-endian target"
#endif
	/* Little-endian words: addr_a | addr_b, then port_a | port_b | vlan_outer | vlan_inner. */
	if (src_first) {
		addrs = (__u64)saddr | (__u64)daddr << 32;
		rest = (__u64)sport | (__u64)dport << 16;
	} else {
		addrs = (__u64)daddr | (__u64)saddr << 32;
		rest = (__u64)dport | (__u64)sport << 16;
	}
	rest |= (__u64)vlan_outer << 32 | (__u64)vlan_inner << 48;
	*(__u64 *)&k->addr_a = addrs;
	*(__u64 *)&k->port_a = rest;
	*(__u32 *)&k->proto = proto; /* proto and the zero padding */
	return src_first ? WEIR_DIR_A_TO_B : WEIR_DIR_B_TO_A;
}

/* Builds the IPv6 key of a parsed packet (same rules as weir_key_v4) and returns its direction. */
static __always_inline __u32 weir_key_v6(struct weir_flow_key_v6 *k, const struct weir_parsed *p)
{
	int c = weir_addr6_cmp(p->saddr, p->daddr);
	int src_first = c < 0 || (c == 0 && bpf_ntohs(p->sport) <= bpf_ntohs(p->dport));

	__builtin_memset(k, 0, sizeof(*k));
	if (src_first) {
		__builtin_memcpy(k->addr_a, p->saddr, 16);
		__builtin_memcpy(k->addr_b, p->daddr, 16);
	} else {
		__builtin_memcpy(k->addr_a, p->daddr, 16);
		__builtin_memcpy(k->addr_b, p->saddr, 16);
	}
	k->port_a = src_first ? p->sport : p->dport;
	k->port_b = src_first ? p->dport : p->sport;
	k->vlan_outer = p->vlan[0];
	k->vlan_inner = p->vlan[1];
	k->proto = p->proto;
	return src_first ? WEIR_DIR_A_TO_B : WEIR_DIR_B_TO_A;
}

/*
 * Adds one packet of `bytes` to a flow's counters in direction `dir`. Atomic, as a flow's two directions
 * may be handled on two CPUs; the result is unused, so this is a plain locked add (BPF_ADD without
 * BPF_FETCH), which kernels before 5.12 accept too.
 */
static __always_inline void weir_account(struct weir_flow_value *v, __u32 dir, __u32 bytes)
{
	if (dir == WEIR_DIR_A_TO_B) {
		__atomic_fetch_add(&v->packets[0], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&v->bytes[0], bytes, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&v->packets[1], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&v->bytes[1], bytes, __ATOMIC_RELAXED);
	}
}

/*
 * What happens once a flow table answered: expiry, counters, action. `v` is the entry or NULL.
 * `frame_bytes` is what the flow's byte counter grows by. `can_redirect` is 0 for the socket filter.
 * For WEIR_V_REDIRECT the flow is returned in *hit / *hit_dir and is not yet counted: the caller counts
 * it once the redirect was accepted, so a packet that falls back to user space is not counted twice.
 */
static __always_inline enum weir_verdict weir_found(struct weir_flow_value *v, __u32 dir, int family, __u8 proto,
						    __u8 tcp_flags, const struct weir_control *ctl,
						    __u32 frame_bytes, int can_redirect,
						    struct weir_flow_value **hit, __u32 *hit_dir)
{
	__u64 now;

	if (!v) {
		weir_count(WEIR_STAT_MISS);
		return WEIR_V_PASS;
	}
	now = weir_now(ctl);
	if (weir_knobs.flow_idle_timeout_ns && now > v->last_seen_ns &&
	    now - v->last_seen_ns > weir_knobs.flow_idle_timeout_ns) {
		/*
		 * Nobody refreshed this entry: back to inspection rather than blind forever. Only user space
		 * writes slots, so the entry stays until its sweep removes it.
		 */
		weir_count(WEIR_STAT_EXPIRED);
		weir_count(WEIR_STAT_MISS);
		return WEIR_V_PASS;
	}
	weir_count(family == 4 ? WEIR_STAT_HIT_V4 : WEIR_STAT_HIT_V6);
	v->last_seen_ns = now;

	if (v->action == WEIR_ACTION_BYPASS || v->action == WEIR_ACTION_BLOCK) {
		if (proto == WEIR_IPPROTO_TCP && (tcp_flags & (WEIR_TCP_FIN | WEIR_TCP_RST))) {
			v->flags |= (tcp_flags & WEIR_TCP_FIN) ? WEIR_FLOW_F_FIN_SEEN : WEIR_FLOW_F_RST_SEEN;
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

/*
 * The whole per-packet decision for an IPv4 packet, from its header fields (network order): block list,
 * flow lookup, counters, action. The programs' fast paths call it straight from the frame; the
 * shared parser's results reach it through weir_decide, so both make the same decision.
 */
static __always_inline enum weir_verdict weir_decide_v4(const struct weir_control *ctl, __be32 saddr,
							__be32 daddr, __be16 sport, __be16 dport,
							__be16 vlan_outer, __be16 vlan_inner, __u8 proto,
							__u8 tcp_flags, __u32 frame_bytes, int can_redirect,
							struct weir_flow_value **hit, __u32 *hit_dir)
{
	/* 8-aligned: weir_key_v4 stores whole words and the verifier checks stack alignment strictly. */
	struct weir_flow_key_v4 k __attribute__((aligned(8)));
	struct weir_flow_value *v = 0;
	__u32 dir;

	if (weir_blocked_v4(ctl, saddr, daddr)) {
		weir_count(WEIR_STAT_BLOCKLIST);
		return WEIR_V_DROP;
	}
	dir = weir_key_v4(&k, saddr, daddr, sport, dport, vlan_outer, vlan_inner, proto);
	v = weir_lookup_v4(&k);
	return weir_found(v, dir, 4, proto, tcp_flags, ctl, frame_bytes, can_redirect, hit, hit_dir);
}

/* weir_decide_v4 for IPv6. */
static __always_inline enum weir_verdict weir_decide_v6(struct weir_parsed *p, const struct weir_control *ctl,
							__u32 frame_bytes, int can_redirect,
							struct weir_flow_value **hit, __u32 *hit_dir)
{
	struct weir_flow_key_v6 k __attribute__((aligned(8)));
	struct weir_flow_value *v = 0;
	__u32 dir;

	if (weir_blocked_v6(ctl, p)) {
		weir_count(WEIR_STAT_BLOCKLIST);
		return WEIR_V_DROP;
	}
	dir = weir_key_v6(&k, p);
	v = weir_lookup_v6(&k);
	return weir_found(v, dir, 6, p->proto, p->tcp_flags, ctl, frame_bytes, can_redirect, hit, hit_dir);
}

/* The decision for a packet the shared parser read; see weir_decide_v4. */
static __always_inline enum weir_verdict weir_decide(struct weir_parsed *p, const struct weir_control *ctl,
						     __u32 frame_bytes, int can_redirect,
						     struct weir_flow_value **hit, __u32 *hit_dir)
{
	if (p->family == 4)
		return weir_decide_v4(ctl, p->saddr[0], p->daddr[0], p->sport, p->dport, p->vlan[0], p->vlan[1],
				      p->proto, p->tcp_flags, frame_bytes, can_redirect, hit, hit_dir);
	return weir_decide_v6(p, ctl, frame_bytes, can_redirect, hit, hit_dir);
}

#endif /* WEIR_COMMON_H */
