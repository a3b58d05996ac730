/* SPDX-License-Identifier: MIT */
/*
 * weir_abi.h: the one definition of everything the kernel programs and user space share.
 *
 * Included by bpf/weir_xdp.bpf.c, bpf/weir_sock.bpf.c and (through CWeirLinux.h) by Swift. Layouts are
 * pinned by _Static_asserts in Sources/CWeirLinux/shim.c and by a MemoryLayout test in WeirBypassTests.
 *
 * Rules: fixed-width types only, explicit zeroed padding, no bitfields, no pointers, no bool. Every
 * multi-byte field of a key is in network byte order (marked __be*). Changing any layout or meaning here
 * means bumping WEIR_ABI_VERSION; the loader refuses pinned maps whose recorded version differs.
 */
#ifndef WEIR_ABI_H
#define WEIR_ABI_H

#include <linux/types.h>

/* Bumped on every incompatible change to a struct, map or meaning below. */
#define WEIR_ABI_VERSION 2

/* Map names (the kernel keeps at most 15 characters). Also the file names under the pin directory. */
#define WEIR_MAP_FLOWS_V4 "weir_flows_v4"
#define WEIR_MAP_FLOWS_V6 "weir_flows_v6"
#define WEIR_MAP_BLOCK_V4 "weir_block_v4"
#define WEIR_MAP_BLOCK_V6 "weir_block_v6"
#define WEIR_MAP_STATS "weir_stats"
#define WEIR_MAP_CONTROL "weir_control"
#define WEIR_MAP_INFO "weir_info"
#define WEIR_MAP_TABLE_STATS "weir_tbl_stats"
#define WEIR_MAP_TX_PEER "weir_tx_peer"

/* Program names. */
#define WEIR_PROG_XDP "weir_xdp"
#define WEIR_PROG_SOCK "weir_sock"
#define WEIR_PROG_XDP_PASS "weir_xdp_pass"
#define WEIR_PROG_SOCK_ACCEPT "weir_sock_all"
#define WEIR_PROG_XDP_FLOOR "weir_xdp_floor"
#define WEIR_PROG_SOCK_FLOOR "weir_sock_floor"
#define WEIR_MAP_FLOOR "weir_floor"

/* Default sizes; user space overrides max_entries from configuration before load. */
#define WEIR_DEFAULT_FLOWS 65536
#define WEIR_DEFAULT_BLOCKS 16384

/*
 * Flow-table geometry. A flow table is an ARRAY of 2^slot_bits slots (the default: 2^17 for 65,536 flows,
 * at most 0.8 full). A flow lives in one of the WEIR_FLOW_PROBE slots that follow its home slot
 * (weir_flow_hash_* >> (32 - slot_bits)), wrapping at the end; a lookup stops at the first EMPTY slot.
 */
#define WEIR_FLOW_PROBE 8
#define WEIR_FLOW_SLOT_BITS_MIN 4
#define WEIR_FLOW_SLOT_BITS_MAX 24

/* Parser bounds: the verifier needs every loop bounded by a constant. */
#define WEIR_VLAN_MAX_DEPTH 2
#define WEIR_IPV6_EXT_MAX 6

/*
 * What the kernel does with a packet of a flow found in a flow table. The corresponding Swift type is
 * BypassAction.
 */
enum weir_action {
	WEIR_ACTION_NONE = 0,         /* entry present but inert: counted, then passed to user space */
	WEIR_ACTION_BYPASS = 1,       /* IDS bypass: XDP_DROP / hidden from the capture socket */
	WEIR_ACTION_BLOCK = 2,        /* IPS verdict drop: XDP_DROP / hidden */
	WEIR_ACTION_FAST_FORWARD = 3, /* IPS fast path: XDP_REDIRECT to the peer through weir_tx_peer */
};

/* Bits of weir_flow_value.flags, set by the kernel. */
#define WEIR_FLOW_F_FIN_SEEN 0x1u /* a TCP FIN of this flow was seen (and passed up when so configured) */
#define WEIR_FLOW_F_RST_SEEN 0x2u /* a TCP RST of this flow was seen */
/* Written by user space at insert, never by the kernel: which endpoint opened the flow (the client). A
 * restarted manager that adopts an entry left by a killed one takes the flow's direction from it. */
#define WEIR_FLOW_F_CLIENT_IS_A 0x100u
#define WEIR_FLOW_F_CLIENT_IS_B 0x200u

/*
 * IPv4 flow key, one entry per bidirectional flow. The endpoint whose (address, port) sorts first, compared
 * as unsigned big-endian numbers, is "a"; the other is "b". Ports are zero unless proto is TCP or UDP.
 * VLAN ids are the 12-bit ids in network order (tci & htons(0x0fff)), outermost first, 0 when absent.
 */
struct weir_flow_key_v4 {
	__be32 addr_a;
	__be32 addr_b;
	__be16 port_a;
	__be16 port_b;
	__be16 vlan_outer;
	__be16 vlan_inner;
	__u8 proto;
	__u8 pad[3]; /* zero */
};

/* IPv6 flow key; same rules as weir_flow_key_v4, addresses compared as 128-bit big-endian numbers. */
struct weir_flow_key_v6 {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__be16 port_a;
	__be16 port_b;
	__be16 vlan_outer;
	__be16 vlan_inner;
	__u8 proto;
	__u8 pad[3]; /* zero */
};

/* Index into the per-direction arrays of weir_flow_value: 0 = packets sent by endpoint a, 1 = by b. */
#define WEIR_DIR_A_TO_B 0
#define WEIR_DIR_B_TO_A 1

/*
 * Value of both flow tables. User space writes action (and inserted_ns) and zeroes the rest; the kernel
 * adds to the counters atomically and stores last_seen_ns (bpf_ktime_get_ns clock, i.e. CLOCK_MONOTONIC).
 * Bytes are the layer-2 header plus the IP datagram length stated in the IP header, so both programs count
 * the same number for the same frame (Ethernet padding and FCS are not counted).
 */
struct weir_flow_value {
	__u64 packets[2];
	__u64 bytes[2];
	__u64 last_seen_ns;
	__u64 inserted_ns;
	__u32 action; /* enum weir_action */
	__u32 flags;  /* WEIR_FLOW_F_* */
};

/*
 * A flow-table slot's `tag`: its state in the low 8 bits, a generation in the high 24 bits. Only user space
 * writes a slot's tag and key; the kernel reads them and adds to the value of a LIVE slot.
 */
enum weir_slot_state {
	WEIR_SLOT_EMPTY = 0,   /* unused since the table was created or flushed: ends a lookup */
	WEIR_SLOT_LIVE = 1,    /* key and value valid */
	WEIR_SLOT_DELETED = 2, /* removed, or being rewritten: a lookup goes on past it and never matches it */
};
#define WEIR_SLOT_STATE_MASK 0xffu
#define WEIR_SLOT_GENERATION_SHIFT 8

/*
 * The slots of weir_flows_v4 and weir_flows_v6 (ARRAY maps, key = slot index). User space rewrites a whole
 * slot per update and changes the generation on every write. A new key goes in while the state says
 * DELETED (and a LIVE slot is first marked DELETED with its old key), then becomes LIVE with the key bytes
 * unchanged. The kernel reads the tag, compares the key, and accepts the match only if the tag is still the
 * one it read first; so a key being rewritten, half old and half new, is never taken for a flow.
 */
struct weir_flow_slot_v4 {
	struct weir_flow_key_v4 key;
	__u32 tag; /* enum weir_slot_state | generation << WEIR_SLOT_GENERATION_SHIFT */
	struct weir_flow_value value;
};

struct weir_flow_slot_v6 {
	struct weir_flow_key_v6 key;
	__u32 tag; /* enum weir_slot_state | generation << WEIR_SLOT_GENERATION_SHIFT */
	struct weir_flow_value value;
};

/* LPM-trie keys of the block lists: prefixlen in bits, then the address in network order. */
struct weir_lpm_key_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct weir_lpm_key_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Value of both block lists: packets dropped because of this prefix (either address matched). */
struct weir_block_value {
	__u64 packets;
};

/*
 * Indices of the per-CPU weir_stats array. Every packet is counted under exactly one of the "outcome"
 * indices (NOT_IP .. FAIL_CLOSED, marked O); a flow hit is further counted under exactly one "hit action"
 * index (marked H). EXPIRED is counted in addition to MISS.
 */
enum weir_stat {
	WEIR_STAT_NOT_IP = 0,          /* O: not IPv4/IPv6 (ARP, LLDP, …): passed */
	WEIR_STAT_PARSE_ERROR = 1,     /* O: truncated or malformed header: passed */
	WEIR_STAT_VLAN_DEPTH = 2,      /* O: more than WEIR_VLAN_MAX_DEPTH tags: passed */
	WEIR_STAT_FRAGMENT = 3,        /* O: IPv4 or IPv6 fragment (first or later): passed */
	WEIR_STAT_IPV6_EXT = 4,        /* O: IPv6 extension chain longer than WEIR_IPV6_EXT_MAX: passed */
	WEIR_STAT_OTHER_L4 = 5,        /* O: neither TCP, UDP, ICMP nor ICMPv6 (tunnels, ESP, …): passed */
	WEIR_STAT_MISS = 6,            /* O: no flow entry: passed */
	WEIR_STAT_HIT_V4 = 7,          /* O: IPv4 flow entry found */
	WEIR_STAT_HIT_V6 = 8,          /* O: IPv6 flow entry found */
	WEIR_STAT_BLOCKLIST = 9,       /* O: source or destination in a block list: dropped */
	WEIR_STAT_FAIL_OPEN = 10,      /* O: heartbeat stale, fail-open: forwarded to the peer or passed */
	WEIR_STAT_FAIL_CLOSED = 11,    /* O: heartbeat stale, fail-closed: dropped */
	WEIR_STAT_BYPASS = 12,         /* H: bypass: dropped (XDP) or hidden (socket filter) */
	WEIR_STAT_BLOCK = 13,          /* H: block: dropped or hidden */
	WEIR_STAT_REDIRECT = 14,       /* H: fast-forward redirected to the peer */
	WEIR_STAT_REDIRECT_ERROR = 15, /* H: fast-forward wanted but no peer / redirect off: passed */
	WEIR_STAT_FLOW_END = 16,       /* H: TCP FIN/RST of a dropped flow passed up so its end is seen */
	WEIR_STAT_INERT = 17,          /* H: entry with WEIR_ACTION_NONE (or unknown): passed */
	WEIR_STAT_EXPIRED = 18,        /* entry idle longer than flow_idle_timeout_ns: ignored (user space removes it), then MISS */
	WEIR_STAT_MAX = 19,
};

/*
 * The secret of the flow-table hash: drawn at random when a pin directory (or an unpinned data plane) is
 * created, loaded into the programs as a knob and recorded in weir_info, so every process computes the same
 * slots while nobody outside can aim flows at one window.
 */
#define WEIR_HASH_KEY_WORDS 12
struct weir_hash_key {
	__u64 k[WEIR_HASH_KEY_WORDS];
};

/*
 * Hashes the 32-bit words of a flow key (host order as stored) under `key`: multilinear hashing, k[0] plus
 * each word times its own k[i + 1], summed modulo 2^64, then finalised (weir_hash_finish) and the high 32
 * bits taken. The multiplications are independent, so the CPU overlaps them; the finaliser makes structured
 * keys (one server, consecutive ports) spread evenly whatever the secret. Swift calls these; the programs run the same
 * arithmetic on the key in their read-only knobs (weir_common.h, weir_kernel_hash).
 */
/*
 * The finaliser of the hash: a sum of products keeps the linear structure of structured keys, and with an
 * unlucky multiplier (close to a fraction with a small denominator) their high bits bunch into a few
 * windows. Two xorshift-multiply rounds (MurmurHash3's 64-bit finaliser) spread any distinct sums.
 */
static inline __u32 weir_hash_finish(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (__u32)(h >> 32);
}

static inline __u32 weir_hash_mix(const __u32 *words, int count, const struct weir_hash_key *key)
{
	__u64 h = key->k[0];
	int i;

	for (i = 0; i < count && i + 1 < WEIR_HASH_KEY_WORDS; i++)
		h += (__u64)words[i] * key->k[i + 1];
	return weir_hash_finish(h);
}

static inline __u32 weir_flow_hash_v4(const struct weir_flow_key_v4 *flow, const struct weir_hash_key *key)
{
	return weir_hash_mix((const __u32 *)flow, sizeof(*flow) / 4, key);
}

static inline __u32 weir_flow_hash_v6(const struct weir_flow_key_v6 *flow, const struct weir_hash_key *key)
{
	return weir_hash_mix((const __u32 *)flow, sizeof(*flow) / 4, key);
}

/* The home slot of a flow whose hash is `hash` in a table of 2^bits slots. */
static inline __u32 weir_flow_home(__u32 hash, __u32 bits)
{
	return hash >> (32 - bits);
}

/* Clocks for weir_flow_value.last_seen_ns (knob `clock`). */
#define WEIR_CLOCK_MANAGER 0 /* weir_control.heartbeat_ns: the manager's tick; no helper call per packet */
#define WEIR_CLOCK_COARSE 1  /* bpf_ktime_get_coarse_ns (kernel >= 5.11) */
#define WEIR_CLOCK_PRECISE 2 /* bpf_ktime_get_ns */

/* Fail modes used when the manager's heartbeat is stale. */
#define WEIR_FAIL_OPEN 0   /* forward everything to the peer (IPS) or pass everything (IDS) */
#define WEIR_FAIL_CLOSED 1 /* drop everything */

/*
 * Load-time knobs: the programs' only .rodata variable, `const volatile struct weir_knobs weir_knobs`.
 * The loader writes it before load; the verifier then prunes the branches that are switched off.
 */
struct weir_knobs {
	__u64 heartbeat_timeout_ns; /* 0: no heartbeat check */
	__u64 flow_idle_timeout_ns; /* 0: entries never expire in the kernel */
	__u32 fail_mode;            /* WEIR_FAIL_OPEN / WEIR_FAIL_CLOSED */
	__u32 pass_flow_end;        /* non-zero: TCP FIN/RST of bypassed/blocked flows is passed up */
	__u32 redirect_enabled;     /* non-zero: fast-forward may use weir_tx_peer (kernel >= 4.14) */
	__u32 clock;                /* WEIR_CLOCK_*: what last_seen_ns and the expiry/heartbeat checks read */
	__u32 legacy_loads;         /* socket filter: bpf_skb_load_bytes from skb->data (kernel < 4.18) */
	__u32 blocklist_enabled;    /* non-zero: consult the LPM block lists (kernel >= 4.11) */
	__u32 slot_bits;            /* log2 of the flow tables' slot count (both tables) */
	__u32 pad;                  /* zero */
	struct weir_hash_key hash_key; /* the flow tables' hash secret (weir_info records it) */
};

/*
 * weir_control, a one-entry ARRAY written by user space and read by the kernel on every packet.
 * heartbeat_ns is the manager's CLOCK_MONOTONIC time at its last tick (the bpf_ktime_get_ns clock); with
 * WEIR_CLOCK_MANAGER it is also the time stamped into last_seen_ns. The entry counts let the kernel skip
 * the LPM lookups while a block list is empty.
 */
struct weir_control {
	__u64 heartbeat_ns;
	__u32 block_v4_entries;
	__u32 block_v6_entries;
};

/*
 * weir_tbl_stats, a one-entry ARRAY of flow-table bookkeeping that only user space writes: every process
 * that changes the tables (a daemon, `weir bypass add`) adds to it while holding the pin directory's lock,
 * so `weir bypass stats` shows every writer's evictions and failed inserts. Never read by the programs.
 */
struct weir_table_stats {
	__u64 inserts;         /* flows put into a table (new or reset) */
	__u64 insert_failures; /* inserts that found no slot or whose map update failed */
	__u64 evictions;       /* flows pushed out of a full window (least recently seen first) */
	__u64 removals;        /* flows removed: explicitly, by a sweep or by a flush */
	__u64 refused;         /* keys the kernel could never match (not inserted) */
};

/* weir_info, a one-entry ARRAY that records who created a pin directory; checked before any reuse. */
struct weir_info {
	__u32 abi_version; /* WEIR_ABI_VERSION of the creator */
	__u32 key_v4_size;
	__u32 key_v6_size;
	__u32 value_size;
	__u32 flows_v4_max; /* slots */
	__u32 flows_v6_max; /* slots */
	__u32 block_max;
	__u32 slot_bits;
	struct weir_hash_key hash_key; /* the secret every writer and both programs hash flows with */
};

#endif /* WEIR_ABI_H */
