// berth-probe: runs inside a container and prints what it sees as key=value lines.
// Keys are stable: tests grep them exactly. Exit 0 when the report was printed,
// 2 on a usage error, 1 when the thing to report on could not be read.
//
//   ids          uid= gid= euid= egid= groups=G1,G2 umask=0022
//   maps         uid_map=IN OUT COUNT, gid_map=... (one line per range)
//   caps         cap_inh= cap_prm= cap_eff= cap_bnd= cap_amb= (16 hex digits, as in status)
//   nnp          no_new_privs=0|1
//   seccomp      seccomp=0|1|2 seccomp_filters=N
//   mounts       mount=MP fstype= opts= super= source= root= prop=shared:N,master:N|private
//   hostname     hostname= domainname=
//   rlimits      rlimit_NAME=SOFT HARD ("unlimited" for infinity), NAME as in RLIMIT_NAME
//   lowercased cgroup       cgroup=LINE of /proc/self/cgroup ns           ns_NAME=INODE for each
//   /proc/self/ns link pid          pid= ppid= cwd          cwd=PATH (or the errno name when getcwd
//   fails) env          the environment, one VAR=VALUE a line oom          oom_score_adj=
//   personality  personality=0xN machine=UNAME_M
//   fds          fd=N TARGET per open fd (the listing's own excluded), then fd_count=N
//   keyring      session_keyring=SERIAL session_keyring_desc=type;uid;gid;perm;name
//   write PATH   write=ok|ERRNO (creates or truncates PATH)
//   stat PATH    stat=ok|ERRNO type= mode= uid= gid= major= minor= size= (lstat)
//   syscall mkdir PATH [MODE] | rmdir PATH | unlink PATH | chmod PATH MODE | sethostname NAME
//                NAME=ok|ERRNO
//   sleep SECS   sleeps; exit CODE exits with CODE
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static const char* errname(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "EUNKNOWN";
}

static int fail(const char* what, const char* on) {
  fprintf(stderr, "probe: %s %s: %s\n", what, on, errname(errno));
  return 1;
}

// Prints "key=value" for each "Name:\tvalue" line of /proc/self/status whose name is in names.
static int status_fields(const char* const* names, const char* const* keys, size_t n) {
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return fail("open", "/proc/self/status");
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    char* colon = strchr(line, ':');
    if (!colon) continue;
    *colon = '\0';
    char* val = colon + 1;
    val += strspn(val, " \t");
    val[strcspn(val, "\n")] = '\0';
    for (size_t i = 0; i < n; i++) {
      if (strcmp(line, names[i]) == 0) {
        printf("%s=%s\n", keys[i], val);
        found++;
      }
    }
  }
  fclose(f);
  return found > 0 ? 0 : 1;
}

static int cmd_ids(void) {
  printf("uid=%u\ngid=%u\neuid=%u\negid=%u\n", getuid(), getgid(), geteuid(), getegid());
  gid_t groups[NGROUPS_MAX];
  int n = getgroups(NGROUPS_MAX, groups);
  if (n < 0) return fail("getgroups", "");
  printf("groups=");
  for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", groups[i]);
  printf("\n");
  mode_t m = umask(0);
  umask(m);
  printf("umask=%04o\n", (unsigned)m);
  return 0;
}

// Prints each line of a map file with its whitespace squeezed: "uid_map=0 1000 1".
static int print_map(const char* path, const char* key) {
  FILE* f = fopen(path, "re");
  if (!f) return fail("open", path);
  unsigned long a, b, c;
  while (fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3) printf("%s=%lu %lu %lu\n", key, a, b, c);
  fclose(f);
  return 0;
}

static int cmd_maps(void) {
  int rc = print_map("/proc/self/uid_map", "uid_map");
  rc |= print_map("/proc/self/gid_map", "gid_map");
  return rc;
}

static int cmd_caps(void) {
  static const char* const names[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
  static const char* const keys[] = {"cap_inh", "cap_prm", "cap_eff", "cap_bnd", "cap_amb"};
  return status_fields(names, keys, 5);
}

static int cmd_nnp(void) {
  int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (v < 0) return fail("prctl", "PR_GET_NO_NEW_PRIVS");
  printf("no_new_privs=%d\n", v);
  return 0;
}

static int cmd_seccomp(void) {
  static const char* const names[] = {"Seccomp", "Seccomp_filters"};
  static const char* const keys[] = {"seccomp", "seccomp_filters"};
  return status_fields(names, keys, 2);
}

// mountinfo: id parent maj:min root mountpoint opts [optional...] - fstype source superopts
static int cmd_mounts(void) {
  FILE* f = fopen("/proc/self/mountinfo", "re");
  if (!f) return fail("open", "/proc/self/mountinfo");
  char* line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char* fields[64];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < 64;
         t = strtok_r(NULL, " ", &save))
      fields[n++] = t;
    if (n < 10) continue;
    int dash = -1;
    for (int i = 6; i < n; i++)
      if (strcmp(fields[i], "-") == 0) {
        dash = i;
        break;
      }
    if (dash < 0 || dash + 3 >= n) continue;
    char prop[256] = "";
    for (int i = 6; i < dash; i++) {
      if (prop[0]) strncat(prop, ",", sizeof prop - strlen(prop) - 1);
      strncat(prop, fields[i], sizeof prop - strlen(prop) - 1);
    }
    printf("mount=%s fstype=%s opts=%s super=%s source=%s root=%s prop=%s\n", fields[4],
           fields[dash + 1], fields[5], fields[dash + 3], fields[dash + 2], fields[3],
           prop[0] ? prop : "private");
  }
  free(line);
  fclose(f);
  return 0;
}

static int cmd_hostname(void) {
  struct utsname u;
  if (uname(&u) < 0) return fail("uname", "");
  printf("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
  return 0;
}

static void print_rlim(rlim_t v) {
  if (v == RLIM_INFINITY)
    printf("unlimited");
  else
    printf("%llu", (unsigned long long)v);
}

static int cmd_rlimits(void) {
  static const struct {
    const char* name;
    int res;
  } lims[] = {
      {"cpu", RLIMIT_CPU},           {"fsize", RLIMIT_FSIZE},
      {"data", RLIMIT_DATA},         {"stack", RLIMIT_STACK},
      {"core", RLIMIT_CORE},         {"rss", RLIMIT_RSS},
      {"nproc", RLIMIT_NPROC},       {"nofile", RLIMIT_NOFILE},
      {"memlock", RLIMIT_MEMLOCK},   {"as", RLIMIT_AS},
      {"locks", RLIMIT_LOCKS},       {"sigpending", RLIMIT_SIGPENDING},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"rtprio", RLIMIT_RTPRIO},     {"rttime", RLIMIT_RTTIME},
  };
  for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
    struct rlimit r;
    if (getrlimit(lims[i].res, &r) < 0) return fail("getrlimit", lims[i].name);
    printf("rlimit_%s=", lims[i].name);
    print_rlim(r.rlim_cur);
    printf(" ");
    print_rlim(r.rlim_max);
    printf("\n");
  }
  return 0;
}

static int print_lines(const char* path, const char* key) {
  FILE* f = fopen(path, "re");
  if (!f) return fail("open", path);
  char* line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    printf("%s=%s\n", key, line);
  }
  free(line);
  fclose(f);
  return 0;
}

static int cmd_ns(void) {
  static const char* const names[] = {
      "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
      "user",   "uts"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[64], target[128];
    snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
      if (errno == ENOENT) continue;  // kernel without this namespace
      return fail("readlink", path);
    }
    target[n] = '\0';
    char* lb = strchr(target, '[');
    unsigned long ino = lb ? strtoul(lb + 1, NULL, 10) : 0;
    printf("ns_%s=%lu\n", names[i], ino);
  }
  return 0;
}

static int cmd_pid(void) {
  printf("pid=%d\nppid=%d\n", getpid(), getppid());
  return 0;
}

static int cmd_cwd(void) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) {
    // A cwd outside the root (leaked host directory) makes getcwd fail or return "(unreachable)".
    printf("cwd=%s\n", errname(errno));
    return 0;
  }
  printf("cwd=%s\n", buf);
  return 0;
}

static int cmd_env(void) {
  for (char** e = environ; *e; e++) printf("%s\n", *e);
  return 0;
}

static int cmd_oom(void) {
  FILE* f = fopen("/proc/self/oom_score_adj", "re");
  if (!f) return fail("open", "/proc/self/oom_score_adj");
  int v;
  int ok = fscanf(f, "%d", &v) == 1;
  fclose(f);
  if (!ok) return fail("read", "/proc/self/oom_score_adj");
  printf("oom_score_adj=%d\n", v);
  return 0;
}

static int cmd_personality(void) {
  int p = personality(0xffffffff);
  if (p < 0) return fail("personality", "query");
  struct utsname u;
  if (uname(&u) < 0) return fail("uname", "");
  printf("personality=0x%x\nmachine=%s\n", (unsigned)p, u.machine);
  return 0;
}

static int cmd_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return fail("opendir", "/proc/self/fd");
  int self = dirfd(d);
  int count = 0;
  struct dirent* de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    int fd = atoi(de->d_name);
    if (fd == self) continue;
    char path[64], target[PATH_MAX];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
      strcpy(target, errname(errno));
    else
      target[n] = '\0';
    printf("fd=%d %s\n", fd, target);
    count++;
  }
  closedir(d);
  printf("fd_count=%d\n", count);
  return 0;
}

static int cmd_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    printf("write=%s\n", errname(errno));
    return 0;
  }
  static const char data[] = "berth-probe\n";
  ssize_t n = write(fd, data, sizeof data - 1);
  int e = errno;
  if (close(fd) < 0 && n >= 0) {
    n = -1;
    e = errno;
  }
  printf("write=%s\n", n == (ssize_t)(sizeof data - 1) ? "ok" : errname(n < 0 ? e : EIO));
  return 0;
}

static int cmd_syscall(int argc, char** argv) {
  if (argc < 1) return 2;
  const char* name = argv[0];
  int r;
  if (strcmp(name, "mkdir") == 0 && (argc == 2 || argc == 3))
    r = mkdir(argv[1], argc == 3 ? (mode_t)strtoul(argv[2], NULL, 8) : 0755);
  else if (strcmp(name, "rmdir") == 0 && argc == 2)
    r = rmdir(argv[1]);
  else if (strcmp(name, "unlink") == 0 && argc == 2)
    r = unlink(argv[1]);
  else if (strcmp(name, "chmod") == 0 && argc == 3)
    r = chmod(argv[1], (mode_t)strtoul(argv[2], NULL, 8));
  else if (strcmp(name, "sethostname") == 0 && argc == 2)
    r = sethostname(argv[1], strlen(argv[1]));
  else if (strcmp(name, "getpid") == 0 && argc == 1)
    r = getpid() > 0 ? 0 : -1;
  else
    return 2;
  printf("%s=%s\n", name, r == 0 ? "ok" : errname(errno));
  return 0;
}

static int cmd_stat(const char* path) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    printf("stat=%s\n", errname(errno));
    return 0;
  }
  const char* type = S_ISREG(st.st_mode)    ? "file"
                     : S_ISDIR(st.st_mode)  ? "dir"
                     : S_ISCHR(st.st_mode)  ? "char"
                     : S_ISBLK(st.st_mode)  ? "block"
                     : S_ISLNK(st.st_mode)  ? "symlink"
                     : S_ISFIFO(st.st_mode) ? "fifo"
                                            : "socket";
  printf("stat=ok\ntype=%s\nmode=%04o\nuid=%u\ngid=%u\nmajor=%u\nminor=%u\nsize=%lld\n", type,
         (unsigned)(st.st_mode & 07777), st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev),
         (long long)st.st_size);
  return 0;
}

// The session keyring: its serial and "type;uid;gid;perm;description".
static int cmd_keyring(void) {
  const long get_keyring_id = 0, describe = 6, session = -3;
  long id = syscall(SYS_keyctl, get_keyring_id, session, 0);
  if (id < 0) {
    printf("session_keyring=%s\n", errname(errno));
    return 0;
  }
  char desc[512];
  long n = syscall(SYS_keyctl, describe, id, desc, sizeof desc);
  if (n < 0) {
    printf("session_keyring=%ld\nsession_keyring_desc=%s\n", id, errname(errno));
    return 0;
  }
  desc[sizeof desc - 1] = '\0';
  printf("session_keyring=%ld\nsession_keyring_desc=%s\n", id, desc);
  return 0;
}

static int cmd_sleep(const char* arg) {
  char* end;
  double secs = strtod(arg, &end);
  if (*end || secs < 0) return 2;
  struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
  return 0;
}

static int usage(void) {
  fprintf(
      stderr,
      "usage: probe ids|maps|caps|nnp|seccomp|mounts|hostname|rlimits|cgroup|ns|pid|cwd|env|oom|"
      "personality|fds|keyring\n"
      "       probe write PATH | stat PATH | syscall mkdir PATH [MODE] | syscall rmdir|unlink PATH "
      "|\n"
      "       probe syscall chmod PATH MODE | syscall sethostname NAME | syscall getpid |\n"
      "       probe sleep SECONDS | exit CODE\n");
  return 2;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return usage();
  const char* c = argv[1];
  int rc;
  if (argc == 2 && strcmp(c, "ids") == 0)
    rc = cmd_ids();
  else if (argc == 2 && strcmp(c, "maps") == 0)
    rc = cmd_maps();
  else if (argc == 2 && strcmp(c, "caps") == 0)
    rc = cmd_caps();
  else if (argc == 2 && strcmp(c, "nnp") == 0)
    rc = cmd_nnp();
  else if (argc == 2 && strcmp(c, "seccomp") == 0)
    rc = cmd_seccomp();
  else if (argc == 2 && strcmp(c, "mounts") == 0)
    rc = cmd_mounts();
  else if (argc == 2 && strcmp(c, "hostname") == 0)
    rc = cmd_hostname();
  else if (argc == 2 && strcmp(c, "rlimits") == 0)
    rc = cmd_rlimits();
  else if (argc == 2 && strcmp(c, "cgroup") == 0)
    rc = print_lines("/proc/self/cgroup", "cgroup");
  else if (argc == 2 && strcmp(c, "ns") == 0)
    rc = cmd_ns();
  else if (argc == 2 && strcmp(c, "pid") == 0)
    rc = cmd_pid();
  else if (argc == 2 && strcmp(c, "cwd") == 0)
    rc = cmd_cwd();
  else if (argc == 2 && strcmp(c, "env") == 0)
    rc = cmd_env();
  else if (argc == 2 && strcmp(c, "oom") == 0)
    rc = cmd_oom();
  else if (argc == 2 && strcmp(c, "personality") == 0)
    rc = cmd_personality();
  else if (argc == 2 && strcmp(c, "fds") == 0)
    rc = cmd_fds();
  else if (argc == 2 && strcmp(c, "keyring") == 0)
    rc = cmd_keyring();
  else if (argc == 3 && strcmp(c, "write") == 0)
    rc = cmd_write(argv[2]);
  else if (argc == 3 && strcmp(c, "stat") == 0)
    rc = cmd_stat(argv[2]);
  else if (argc >= 3 && strcmp(c, "syscall") == 0)
    rc = cmd_syscall(argc - 2, argv + 2);
  else if (argc == 3 && strcmp(c, "sleep") == 0)
    rc = cmd_sleep(argv[2]);
  else if (argc == 3 && strcmp(c, "exit") == 0)
    return atoi(argv[2]);
  else
    return usage();
  if (rc == 2) return usage();
  return rc;
}
