/*
 * berth-runtime-exec PATH ARG0 ARGS...: execve(PATH, [ARG0, ARGS...], environ).
 *
 * The last step of every process berth-runtime starts in a container goes through this stub,
 * executed from a read-only mount (or a sealed copy): from then on /proc/self/exe names the
 * stub, so a container program that re-executes /proc/self/exe (CVE-2019-5736) reaches no
 * runtime binary. It is built without libc, so that this second exec costs next to nothing.
 */

#if defined(__x86_64__)
#define SYS_WRITE 1
#define SYS_EXECVE 59
#define SYS_EXIT_GROUP 231
static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
__asm__(
    ".globl _start\n"
    "_start:\n"
    "  xor %rbp, %rbp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call stub_main\n"
    "  hlt\n");
#elif defined(__aarch64__)
#define SYS_WRITE 64
#define SYS_EXECVE 221
#define SYS_EXIT_GROUP 94
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
__asm__(
    ".globl _start\n"
    "_start:\n"
    "  mov x0, sp\n"
    "  bl stub_main\n");
#else
#error "berth-runtime-exec: no system call glue for this architecture"
#endif

#define ENOENT 2
#define E2BIG 7
#define ENOEXEC 8
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ETXTBSY 26
#define ENAMETOOLONG 36
#define ELOOP 40
#define ELIBBAD 80
#define EPERM 1
#define EIO 5

static unsigned long length(const char* s) {
  unsigned long n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

static void put(const char* s) {
  (void)sys3(SYS_WRITE, 2, (long)s, (long)length(s));
}

/* The texts strerror gives, lowercased as berth writes them. */
static const char* reason(long err) {
  switch (err) {
    case EPERM:
      return "operation not permitted";
    case ENOENT:
      return "no such file or directory";
    case EIO:
      return "input/output error";
    case E2BIG:
      return "argument list too long";
    case ENOEXEC:
      return "exec format error";
    case ENOMEM:
      return "cannot allocate memory";
    case EACCES:
      return "permission denied";
    case EFAULT:
      return "bad address";
    case ENOTDIR:
      return "not a directory";
    case EISDIR:
      return "is a directory";
    case EINVAL:
      return "invalid argument";
    case ETXTBSY:
      return "text file busy";
    case ENAMETOOLONG:
      return "file name too long";
    case ELOOP:
      return "too many levels of symbolic links";
    case ELIBBAD:
      return "accessing a corrupted shared library";
    default:
      return 0;
  }
}

static void put_number(long n) {
  char digits[24];
  int i = (int)sizeof digits - 1;
  digits[i] = '\0';
  do {
    digits[--i] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0 && i > 0);
  put(digits + i);
}

__attribute__((noreturn, used)) void stub_main(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  long err = 0;
  if (argc >= 3) {
    err = -sys3(SYS_EXECVE, (long)argv[1], (long)(argv + 2), (long)envp);
    /* Same words and status as berth-runtime's own failed exec. */
    put("berth-runtime: exec \"");
    put(argv[1]);
    put("\": ");
    const char* text = reason(err);
    if (text != 0) {
      put(text);
    } else {
      put("errno ");
      put_number(err);
    }
    put("\n");
  } else {
    put("berth-runtime-exec: usage: berth-runtime-exec PATH ARG0 [ARG...]\n");
  }
  sys3(SYS_EXIT_GROUP, err == ENOENT ? 127 : 126, 0, 0);
  for (;;) {
  }
}
