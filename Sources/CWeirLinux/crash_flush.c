/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "CWeirLinux.h"

#define CWEIR_CRASH_SLOTS 64

struct crash_slot {
	int fd; /* -1: free */
	const void *base;
	size_t length;
};

static struct crash_slot slots[CWEIR_CRASH_SLOTS];
static int slots_ready;
static int installed;
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };

static void free_all_slots(void)
{
	for (int i = 0; i < CWEIR_CRASH_SLOTS; i++) {
		__atomic_store_n(&slots[i].length, 0, __ATOMIC_RELEASE);
		__atomic_store_n((const void **)&slots[i].base, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&slots[i].fd, -1, __ATOMIC_RELEASE);
	}
}

static void init_slots(void)
{
	if (__atomic_exchange_n(&slots_ready, 1, __ATOMIC_ACQ_REL))
		return;
	free_all_slots();
	/*
	 * A forked child inherits the parent's slots: its descriptors and a copy of its pending records. Were the
	 * child to crash, it would write the parent's records a second time into the parent's files. The child
	 * starts with no slots instead; it registers its own.
	 */
	pthread_atfork(NULL, NULL, free_all_slots);
}

static void crash_handler(int sig)
{
	int saved = errno;

	for (int i = 0; i < CWEIR_CRASH_SLOTS; i++) {
		int fd = __atomic_load_n(&slots[i].fd, __ATOMIC_ACQUIRE);
		const char *base = __atomic_load_n((const char **)&slots[i].base, __ATOMIC_ACQUIRE);
		size_t length = __atomic_load_n(&slots[i].length, __ATOMIC_ACQUIRE);

		if (fd < 0 || base == NULL || length == 0)
			continue;
		while (length > 0) {
			ssize_t n = write(fd, base, length);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			base += n;
			length -= (size_t)n;
		}
	}
	errno = saved;
	/* SA_RESETHAND put the default action back: die of the same signal. */
	raise(sig);
}

int cweir_crash_flush_install(void)
{
	struct sigaction action;

	init_slots();
	if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL))
		return 0;
	memset(&action, 0, sizeof(action));
	action.sa_handler = crash_handler;
	action.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		if (sigaction(fatal_signals[i], &action, NULL) != 0)
			return -1;
	return 0;
}

int cweir_crash_flush_register(int fd)
{
	init_slots();
	for (int i = 0; i < CWEIR_CRASH_SLOTS; i++) {
		int expected = -1;

		if (__atomic_compare_exchange_n(&slots[i].fd, &expected, -2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&slots[i].length, 0, __ATOMIC_RELEASE);
			__atomic_store_n((const void **)&slots[i].base, NULL, __ATOMIC_RELEASE);
			__atomic_store_n(&slots[i].fd, fd, __ATOMIC_RELEASE);
			return i;
		}
	}
	return -1;
}

void cweir_crash_flush_publish(int slot, const void *base, size_t length)
{
	if (slot < 0 || slot >= CWEIR_CRASH_SLOTS)
		return;
	/* Length first to 0, so the handler never pairs a new base with an old length. */
	__atomic_store_n(&slots[slot].length, 0, __ATOMIC_RELEASE);
	__atomic_store_n((const void **)&slots[slot].base, base, __ATOMIC_RELEASE);
	__atomic_store_n(&slots[slot].length, length, __ATOMIC_RELEASE);
}

void cweir_crash_flush_unregister(int slot)
{
	if (slot < 0 || slot >= CWEIR_CRASH_SLOTS)
		return;
	__atomic_store_n(&slots[slot].length, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&slots[slot].fd, -1, __ATOMIC_RELEASE);
}

int cweir_crash_flush_peek(int slot, size_t *length)
{
	if (slot < 0 || slot >= CWEIR_CRASH_SLOTS)
		return -1;
	*length = __atomic_load_n(&slots[slot].length, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&slots[slot].fd, __ATOMIC_ACQUIRE);
}
