/* SPDX-License-Identifier: MIT */
#ifndef CWEIR_CRASH_FLUSH_H
#define CWEIR_CRASH_FLUSH_H

#include <stddef.h>

/*
 * Crash flush: output that is complete but still in a writer's buffer reaches its file even when the process
 * dies of a fatal signal (a Swift trap is SIGILL). A writer registers its descriptor, then after each
 * complete record publishes where its complete-but-unwritten bytes are. On SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT or SIGTRAP the handler write()s every published range (async-signal-safe) and re-raises the signal
 * with its default action, so the process still dies as it would have.
 */

/* Installs the handlers (once; later calls do nothing). 0, or -1 and errno. */
int cweir_crash_flush_install(void);

/* A slot for descriptor fd, or -1 when all 64 are taken. */
int cweir_crash_flush_register(int fd);

/* The complete, unwritten bytes of the slot's writer: [base, base + length). length 0 when none. */
void cweir_crash_flush_publish(int slot, const void *base, size_t length);

/* What the slot has published (for tests): its descriptor, or -1 when free; *length gets the byte count. */
int cweir_crash_flush_peek(int slot, size_t *length);

/* Frees the slot (the writer is closing). */
void cweir_crash_flush_unregister(int slot);

#endif
