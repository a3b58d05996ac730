// SPDX-License-Identifier: MIT
// An LD_PRELOAD shim that counts heap allocations of a whole process, for scripts/bench-alloc.sh and the
// allocation tests (WeirCLITests). Every malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign,
// valloc and pvalloc call is counted (a realloc counts as one allocation, as it may move the block), and so
// is every free of a non-NULL pointer. The calls go on to glibc's own allocator (__libc_*), so nothing else
// changes. At exit the totals are written, as `allocations N\nfrees N\n`, to the file named by
// WEIR_ALLOC_COUNT_OUT (nothing is written without it).
//   build: cc -O2 -shared -fPIC -o alloc_count.so alloc_count.c
//   use:   WEIR_ALLOC_COUNT_OUT=/tmp/counts LD_PRELOAD=./alloc_count.so weir -r file.pcap -l out
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);
extern void __libc_free(void *pointer);

static atomic_ullong allocations;
static atomic_ullong frees;

static inline void counted(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

void *malloc(size_t size) {
	counted();
	return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
	counted();
	return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
	counted();
	return __libc_realloc(pointer, size);
}

void free(void *pointer) {
	if (pointer) atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
	__libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
	counted();
	return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
	counted();
	return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
	/* glibc's checks: a power of two that is a multiple of sizeof(void *). */
	if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return 22;
	counted();
	void *pointer = __libc_memalign(alignment, size);
	if (!pointer) return 12;
	*out = pointer;
	return 0;
}

void *valloc(size_t size) {
	counted();
	return __libc_valloc(size);
}

void *pvalloc(size_t size) {
	counted();
	return __libc_pvalloc(size);
}

/* Decimal digits of `value` into `out` (no stdio: it would allocate). Returns the length. */
static int digits(unsigned long long value, char *out) {
	char reversed[24];
	int length = 0;
	do {
		reversed[length++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	for (int i = 0; i < length; i++) out[i] = reversed[length - 1 - i];
	return length;
}

__attribute__((destructor)) static void report(void) {
	const char *path = getenv("WEIR_ALLOC_COUNT_OUT");
	if (!path) return;
	char text[96];
	int length = 0;
	const char a[] = "allocations ", f[] = "frees ";
	for (size_t i = 0; i < sizeof a - 1; i++) text[length++] = a[i];
	length += digits(atomic_load(&allocations), text + length);
	text[length++] = '\n';
	for (size_t i = 0; i < sizeof f - 1; i++) text[length++] = f[i];
	length += digits(atomic_load(&frees), text + length);
	text[length++] = '\n';
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) return;
	ssize_t written = write(fd, text, (size_t)length);
	(void)written;
	close(fd);
}
