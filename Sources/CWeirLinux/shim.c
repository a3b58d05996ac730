/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <stddef.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <net/if.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include "CWeirLinux.h"

int cweir_unshare_netns(void)
{
	return unshare(CLONE_NEWNET);
}

int cweir_setns_net(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

unsigned long cweir_filesystem_type(const char *path)
{
	struct statfs info;

	if (statfs(path, &info) != 0)
		return 0;
	return (unsigned long)info.f_type;
}

int cweir_fork_idle_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

int cweir_packet_socket(int ifindex)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int cweir_stop_signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/*
 * SIGHUP (logrotate's `kill -HUP`) asks for the log files to be reopened; SIGUSR2 (Suricata's rule-reload signal)
 * asks for the rules to be reloaded. The handler only counts each request and writes a note (both
 * async-signal-safe): the capture workers see the SIGHUP count change and reopen their files at a record
 * boundary; the control thread sees the SIGUSR2 count change and builds the new detection engine. SA_RESTART
 * keeps interrupted calls going (poll still returns EINTR, which the capture loop treats as an empty wait).
 */
static unsigned long cweir_reopen_requests;
static unsigned long cweir_reload_requests;

static void cweir_note_operator_signal(int signo)
{
	static const char hup[] = "weir: SIGHUP received: reopening the log files\n";
	static const char usr2[] = "weir: SIGUSR2 received: reloading the rules\n";
	int saved = errno;
	ssize_t rc;

	if (signo == SIGHUP) {
		__atomic_add_fetch(&cweir_reopen_requests, 1, __ATOMIC_RELEASE);
		rc = write(STDERR_FILENO, hup, sizeof(hup) - 1);
	} else {
		__atomic_add_fetch(&cweir_reload_requests, 1, __ATOMIC_RELEASE);
		rc = write(STDERR_FILENO, usr2, sizeof(usr2) - 1);
	}
	(void)rc;
	errno = saved;
}

int cweir_lower_thread_priority(int nice)
{
	/* Linux keeps a nice value per thread: PRIO_PROCESS with a thread id sets this thread's alone. */
	return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}

int cweir_pin_thread(const int *cpus, int count)
{
	/* cpu_set_t and its CPU_SET macros do not reach Swift; a dynamically sized set covers any CPU number. */
	int highest = 0;
	for (int i = 0; i < count; i++)
		if (cpus[i] > highest)
			highest = cpus[i];
	cpu_set_t *set = CPU_ALLOC(highest + 1);
	if (set == NULL)
		return -1;
	size_t size = CPU_ALLOC_SIZE(highest + 1);
	CPU_ZERO_S(size, set);
	for (int i = 0; i < count; i++)
		if (cpus[i] >= 0)
			CPU_SET_S(cpus[i], size, set);
	int rc = sched_setaffinity(0, size, set);
	int saved = errno;
	CPU_FREE(set);
	errno = saved;
	return rc;
}

int cweir_thread_cpus(int *cpus, int capacity)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	int found = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE && found < capacity; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[found++] = cpu;
	return found;
}

int cweir_thread_nice(void)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
}

unsigned long cweir_reload_generation(void)
{
	return __atomic_load_n(&cweir_reload_requests, __ATOMIC_ACQUIRE);
}

int cweir_replace_descriptor(int fresh, int target)
{
	return dup3(fresh, target, O_CLOEXEC);
}

unsigned long cweir_reopen_generation(void)
{
	return __atomic_load_n(&cweir_reopen_requests, __ATOMIC_ACQUIRE);
}

int cweir_ignore_operator_signals(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = cweir_note_operator_signal;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGHUP, &action, NULL) != 0 || sigaction(SIGUSR2, &action, NULL) != 0)
		return -1;
	/* A parent may have left them blocked (the mask is inherited): they would then wait forever, unseen. */
	sigaddset(&action.sa_mask, SIGHUP);
	sigaddset(&action.sa_mask, SIGUSR2);
	if (pthread_sigmask(SIG_UNBLOCK, &action.sa_mask, NULL) != 0)
		return -1;
	return cweir_ignore_sigpipe();
}

int cweir_ignore_sigpipe(void)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = SIG_IGN;
	sigemptyset(&action.sa_mask);
	return sigaction(SIGPIPE, &action, NULL);
}

int cweir_interface_hardware_type(const char *name)
{
	struct ifreq request;
	int fd, rc;

	memset(&request, 0, sizeof(request));
	strncpy(request.ifr_name, name, IFNAMSIZ - 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = ioctl(fd, SIOCGIFHWADDR, &request);
	close(fd);
	return rc < 0 ? -1 : request.ifr_hwaddr.sa_family;
}

int cweir_tun_attach(const char *name)
{
	struct ifreq request;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&request, 0, sizeof(request));
	strncpy(request.ifr_name, name, IFNAMSIZ - 1);
	request.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &request) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int cweir_packet_bind(int fd, int ifindex)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	return bind(fd, (struct sockaddr *)&sll, sizeof(sll));
}

int cweir_packet_promisc(int fd, int ifindex)
{
	struct packet_mreq mreq;

	memset(&mreq, 0, sizeof(mreq));
	mreq.mr_ifindex = ifindex;
	mreq.mr_type = PACKET_MR_PROMISC;
	return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
}

long cweir_packet_send(int fd, int ifindex, const void *frame, unsigned long length)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	if (length >= 6)
		memcpy(sll.sll_addr, frame, 6);
	return sendto(fd, frame, length, 0, (struct sockaddr *)&sll, sizeof(sll));
}

/*
 * Layout pins: the BPF programs and Swift both compile weir_abi.h; these asserts (and the MemoryLayout test
 * in WeirBypassTests) fail the build if the layout drifts from what WEIR_ABI_VERSION promises.
 */
_Static_assert(sizeof(struct weir_flow_key_v4) == 20, "weir_flow_key_v4 size");
_Static_assert(offsetof(struct weir_flow_key_v4, addr_b) == 4, "weir_flow_key_v4.addr_b");
_Static_assert(offsetof(struct weir_flow_key_v4, port_a) == 8, "weir_flow_key_v4.port_a");
_Static_assert(offsetof(struct weir_flow_key_v4, vlan_outer) == 12, "weir_flow_key_v4.vlan_outer");
_Static_assert(offsetof(struct weir_flow_key_v4, proto) == 16, "weir_flow_key_v4.proto");
_Static_assert(offsetof(struct weir_flow_key_v4, pad) == 17, "weir_flow_key_v4.pad");
_Static_assert(sizeof(struct weir_flow_key_v6) == 44, "weir_flow_key_v6 size");
_Static_assert(offsetof(struct weir_flow_key_v6, addr_b) == 16, "weir_flow_key_v6.addr_b");
_Static_assert(offsetof(struct weir_flow_key_v6, port_a) == 32, "weir_flow_key_v6.port_a");
_Static_assert(offsetof(struct weir_flow_key_v6, vlan_outer) == 36, "weir_flow_key_v6.vlan_outer");
_Static_assert(offsetof(struct weir_flow_key_v6, proto) == 40, "weir_flow_key_v6.proto");
_Static_assert(sizeof(struct weir_flow_value) == 56, "weir_flow_value size");
_Static_assert(offsetof(struct weir_flow_value, bytes) == 16, "weir_flow_value.bytes");
_Static_assert(offsetof(struct weir_flow_value, last_seen_ns) == 32, "weir_flow_value.last_seen_ns");
_Static_assert(offsetof(struct weir_flow_value, inserted_ns) == 40, "weir_flow_value.inserted_ns");
_Static_assert(offsetof(struct weir_flow_value, action) == 48, "weir_flow_value.action");
_Static_assert(offsetof(struct weir_flow_value, flags) == 52, "weir_flow_value.flags");
_Static_assert(sizeof(struct weir_lpm_key_v4) == 8, "weir_lpm_key_v4 size");
_Static_assert(sizeof(struct weir_lpm_key_v6) == 20, "weir_lpm_key_v6 size");
_Static_assert(sizeof(struct weir_block_value) == 8, "weir_block_value size");
_Static_assert(sizeof(struct weir_knobs) == 144, "weir_knobs size");
_Static_assert(offsetof(struct weir_knobs, hash_key) == 48, "weir_knobs.hash_key");
_Static_assert(offsetof(struct weir_knobs, slot_bits) == 40, "weir_knobs.slot_bits");
_Static_assert(sizeof(struct weir_flow_slot_v4) == 80, "weir_flow_slot_v4 size");
_Static_assert(sizeof(struct weir_table_stats) == 40, "weir_table_stats size");
_Static_assert(offsetof(struct weir_flow_slot_v4, tag) == 20, "weir_flow_slot_v4.tag");
_Static_assert(offsetof(struct weir_flow_slot_v4, value) == 24, "weir_flow_slot_v4.value");
_Static_assert(sizeof(struct weir_flow_slot_v6) == 104, "weir_flow_slot_v6 size");
_Static_assert(offsetof(struct weir_flow_slot_v6, tag) == 44, "weir_flow_slot_v6.tag");
_Static_assert(offsetof(struct weir_flow_slot_v6, value) == 48, "weir_flow_slot_v6.value");
_Static_assert(offsetof(struct weir_knobs, fail_mode) == 16, "weir_knobs.fail_mode");
_Static_assert(offsetof(struct weir_knobs, legacy_loads) == 32, "weir_knobs.legacy_loads");
_Static_assert(sizeof(struct weir_control) == 16, "weir_control size");
_Static_assert(sizeof(struct weir_info) == 128, "weir_info size");
_Static_assert(offsetof(struct weir_info, hash_key) == 32, "weir_info.hash_key");
_Static_assert(WEIR_STAT_MAX == 19, "weir_stat count");

/*
 * systemd's readiness protocol (Type=notify), without libsystemd: one datagram with the state text to the socket
 * named by $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@'). Returns 0 when there is no
 * such socket (not started by systemd), 1 when sent, -1 and errno on failure.
 */
int cweir_sd_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un address;
	size_t length;
	socklen_t size;
	ssize_t sent;
	int fd, saved;

	if (name == NULL || name[0] == '\0')
		return 0;
	length = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || length >= sizeof(address.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	memcpy(address.sun_path, name, length);
	if (name[0] == '@')
		address.sun_path[0] = '\0';
	size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&address, size);
	saved = errno;
	close(fd);
	errno = saved;
	return sent < 0 ? -1 : 1;
}
