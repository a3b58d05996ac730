/* SPDX-License-Identifier: MIT */
#ifndef WEIR_CLIBBPF_SHIM_H
#define WEIR_CLIBBPF_SHIM_H
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <string.h>

/*
 * libbpf's `*_opts` structures carry their own size (`sz`) and libbpf rejects any non-zero byte between the
 * last field it knows and `sz`, tail padding included ("has non-zero extra bytes", -EINVAL). A Swift value
 * such as `bpf_xdp_query_opts()` zeroes its fields but not its padding, so whether a call works depended on
 * what the stack held before (the release build failed every XDP attach). Swift therefore never builds an
 * options value: each call goes through one of these helpers, which declare the options with LIBBPF_OPTS
 * (whole storage zeroed, then `sz` and the named fields set) and make the call in C.
 */

/* What bpf_xdp_query reports for an interface. */
struct weir_xdp_query_result {
	__u32 prog_id;
	__u32 drv_prog_id;
	__u32 hw_prog_id;
	__u32 skb_prog_id;
	__u8 attach_mode;
};

static inline int weir_xdp_query(int ifindex, struct weir_xdp_query_result *out)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, opts);
	int rc = bpf_xdp_query(ifindex, 0, &opts);

	memset(out, 0, sizeof(*out));
	if (rc == 0) {
		out->prog_id = opts.prog_id;
		out->drv_prog_id = opts.drv_prog_id;
		out->hw_prog_id = opts.hw_prog_id;
		out->skb_prog_id = opts.skb_prog_id;
		out->attach_mode = opts.attach_mode;
	}
	return rc;
}

/* A bpf_link attaching an XDP program to an interface; returns the link fd (O_CLOEXEC) or -errno. */
static inline int weir_xdp_link_create(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	return bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
}

/* One BPF_PROG_TEST_RUN of `data`, `repeat` times; the program's return value and ns per run come back. */
static inline int weir_prog_test_run(int prog_fd, const void *data, __u32 size, int repeat, __u32 *retval,
				     __u32 *duration)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = size, .repeat = repeat);
	int rc = bpf_prog_test_run_opts(prog_fd, &opts);

	*retval = opts.retval;
	*duration = opts.duration;
	return rc;
}

/* A map created directly (probes); returns the fd (O_CLOEXEC) or -errno. */
static inline int weir_map_create(enum bpf_map_type type, const char *name, __u32 key_size, __u32 value_size,
				  __u32 max_entries, __u32 map_flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = map_flags);
	return bpf_map_create(type, name, key_size, value_size, max_entries, &opts);
}

/* BPF_MAP_LOOKUP_BATCH; `in_batch` NULL starts at the beginning. */
static inline int weir_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
					__u32 *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	return bpf_map_lookup_batch(fd, in_batch, out_batch, keys, values, count, &opts);
}

/* Opens an ELF image in memory under `name`. */
static inline struct bpf_object *weir_object_open_mem(const void *image, size_t size, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	return bpf_object__open_mem(image, size, &opts);
}

/* A map's kernel info, read into fully zeroed storage. */
static inline int weir_map_info(int fd, struct bpf_map_info *out)
{
	__u32 length = sizeof(*out);

	memset(out, 0, sizeof(*out));
	return bpf_obj_get_info_by_fd(fd, out, &length);
}

/*
 * Tests only: fills `size` bytes of the stack below the caller with `byte`, so the next call's locals start
 * as garbage (what a release build may leave there), and returns a value that depends on them.
 */
static __attribute__((noinline)) unsigned weir_test_scribble_stack(unsigned char byte)
{
	volatile unsigned char area[32768];
	unsigned sum = 0;

	for (unsigned i = 0; i < sizeof(area); i++)
		area[i] = byte;
	for (unsigned i = 0; i < sizeof(area); i += 4096)
		sum += area[i];
	return sum;
}

/*
 * Tests only: bpf_xdp_query with options whose padding holds `byte`, as a memberwise Swift value may have;
 * shows that libbpf refuses them (-EINVAL) when `byte` is not zero.
 */
static inline int weir_test_xdp_query_with_padding(int ifindex, unsigned char byte)
{
	struct bpf_xdp_query_opts opts;

	memset(&opts, byte, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.prog_id = 0;
	opts.drv_prog_id = 0;
	opts.hw_prog_id = 0;
	opts.skb_prog_id = 0;
	opts.attach_mode = 0;
	return bpf_xdp_query(ifindex, 0, &opts);
}
#endif
