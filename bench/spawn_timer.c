// spawn_timer: the process the benchmarks spawn their contenders from.
//
// Why not spawn from Python: a child's ru_maxrss starts from the RSS of the
// address space it exec'd from (vfork and fork alike), so every child of the
// Python driver would report at least Python's ~16 MiB. This helper is small
// and static, so the peak RSS it reports is the contender's own (the floor
// is this helper's few hundred KiB). It also takes the timing off Python.
//
// Usage: spawn_timer [TIMEOUT_SECONDS] (default 0: none). A child that runs
// longer is killed with its process group (each child leads its own).
//
// Protocol, on stdin/stdout: a request is a 4-byte native-endian length and
// that many bytes of NUL-terminated strings: the file to send the child's
// stderr to, then argv (argv[0] a path). The reply is one line:
//   "STATUS WALL_NS USER_NS SYS_NS MAXRSS_KIB TIMED_OUT\n"  (STATUS as from
// wait4, TIMED_OUT 0 or 1) or "ERR ERRNO\n" when the spawn itself failed.
// EOF on stdin: exit 0.
//
// Wall time runs from just before posix_spawn to just after wait4; user and
// sys CPU time are the child's and its reaped descendants'; the child gets
// /dev/null as stdin and stdout.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int read_full(int fd, void *buf, size_t n) {
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig) { (void)sig; alarmed = 1; }

int main(int argc0, char **argv0) {
	unsigned timeout = argc0 > 1 ? (unsigned)atoi(argv0[1]) : 0;
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;  // no SA_RESTART: wait4 returns EINTR
	sigaction(SIGALRM, &sa, NULL);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) { perror("spawn_timer: /dev/null"); return 1; }
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		uint32_t len;
		if (read_full(0, &len, sizeof len) < 0) return 0;
		char *buf = malloc((size_t)len + 1);
		if (!buf || read_full(0, buf, len) < 0) return 1;
		buf[len] = 0;
		char *argv[1024];
		int argc = 0;
		for (char *p = buf; p < buf + len && argc < 1023; p += strlen(p) + 1) argv[argc++] = p;
		argv[argc] = NULL;
		if (argc < 2) { fprintf(stderr, "spawn_timer: bad request\n"); return 1; }
		int errfd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (errfd < 0) { printf("ERR %d\n", errno); free(buf); continue; }
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, devnull, 0);
		posix_spawn_file_actions_adddup2(&fa, devnull, 1);
		posix_spawn_file_actions_adddup2(&fa, errfd, 2);
		posix_spawnattr_t attr;
		posix_spawnattr_init(&attr);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group
		posix_spawnattr_setpgroup(&attr, 0);
		pid_t pid;
		int status = 0;
		struct rusage ru;
		int64_t t0 = now_ns();
		alarmed = 0;
		int timed_out = 0;
		int err = posix_spawn(&pid, argv[1], &fa, &attr, argv + 1, environ);
		if (err == 0) {
			alarm(timeout);
			while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
				if (alarmed && !timed_out) {
					timed_out = 1;
					kill(-pid, SIGKILL);
					kill(pid, SIGKILL);
				}
			}
			alarm(0);
		}
		int64_t t1 = now_ns();
		posix_spawnattr_destroy(&attr);
		posix_spawn_file_actions_destroy(&fa);
		close(errfd);
		if (err) {
			printf("ERR %d\n", err);
		} else {
			int64_t user = (int64_t)ru.ru_utime.tv_sec * 1000000000 + (int64_t)ru.ru_utime.tv_usec * 1000;
			int64_t sys = (int64_t)ru.ru_stime.tv_sec * 1000000000 + (int64_t)ru.ru_stime.tv_usec * 1000;
			printf("%d %lld %lld %lld %ld %d\n", status, (long long)(t1 - t0), (long long)user,
			       (long long)sys, ru.ru_maxrss, timed_out);
		}
		free(buf);
	}
}
