#include "runtime/seccomp_cache.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::runtime {

namespace {

constexpr std::string_view entry_magic = "berth-seccomp-entry-v1";

uint64_t fnv1a(std::string_view data) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void put_u64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

void put_str(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

void put_opt(std::string& out, const std::optional<unsigned>& value) {
  out.push_back(value ? 1 : 0);
  put_u64(out, value.value_or(0));
}

// Reads what put_u64/put_str wrote; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u64(uint64_t& value) {
    if (data_.size() < 8) return false;
    value = 0;
    for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(data_[i])} << (8 * i);
    data_.remove_prefix(8);
    return true;
  }
  bool str(std::string_view& s) {
    uint64_t size = 0;
    if (!u64(size) || size > data_.size()) return false;
    s = data_.substr(0, size);
    data_.remove_prefix(size);
    return true;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

std::string hex(uint64_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[i] = digits[value & 0xf];
  return out;
}

// The cache must be as private as the runtime state: anyone who can write to it chooses the
// filters of later containers.
bool private_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) < 0) return false;
  return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<SeccompProgram> read_entry(const std::string& path, std::string_view key) {
  auto fd = sys::open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd->get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    return std::nullopt;
  }
  auto data = fs::read_fd(fd->get());
  if (!data) return std::nullopt;
  auto program = decode_seccomp_entry(*data, key);
  if (!program) return std::nullopt;
  return std::move(*program);
}

}  // namespace

std::string seccomp_cache_key(const Seccomp& seccomp) {
  std::string key;
  put_u64(key, seccomp_compiler_revision);
  const scmp_version* version = seccomp_version();
  put_u64(key,
          version ? (uint64_t{version->major} << 32 | version->minor << 16 | version->micro) : 0);
  utsname uts{};
  if (::uname(&uts) == 0) put_str(key, uts.release);
  put_str(key, seccomp.default_action);
  put_opt(key, seccomp.default_errno_ret);
  put_u64(key, seccomp.architectures.size());
  for (const auto& arch : seccomp.architectures) put_str(key, arch);
  put_u64(key, seccomp.flags.size());
  for (const auto& flag : seccomp.flags) put_str(key, flag);
  // Only its presence matters to the program; the path itself is used at load time.
  key.push_back(seccomp.listener_path.empty() ? 0 : 1);
  put_u64(key, seccomp.syscalls.size());
  for (const auto& rule : seccomp.syscalls) {
    put_u64(key, rule.names.size());
    for (const auto& name : rule.names) put_str(key, name);
    put_str(key, rule.action);
    put_opt(key, rule.errno_ret);
    put_u64(key, rule.args.size());
    for (const auto& arg : rule.args) {
      put_u64(key, arg.index);
      put_u64(key, arg.value);
      put_u64(key, arg.value_two);
      put_str(key, arg.op);
    }
  }
  return key;
}

std::string encode_seccomp_entry(std::string_view key, const SeccompProgram& program) {
  std::string body;
  put_u64(body, program.flags);
  put_u64(body, program.needs_listener ? 1 : 0);
  put_str(body, std::string_view(reinterpret_cast<const char*>(program.filter.data()),
                                 program.filter.size() * sizeof(sock_filter)));
  std::string out;
  out.reserve(entry_magic.size() + key.size() + body.size() + 32);
  put_str(out, entry_magic);
  put_str(out, key);
  put_u64(out, fnv1a(body));
  out += body;
  return out;
}

Result<SeccompProgram> decode_seccomp_entry(std::string_view data, std::string_view key) {
  Reader in(data);
  std::string_view magic, stored_key;
  uint64_t checksum = 0;
  if (!in.str(magic) || magic != entry_magic) return fail_msg("seccomp cache entry: bad magic");
  if (!in.str(stored_key) || stored_key != key) {
    return fail_msg("seccomp cache entry: for another profile");
  }
  if (!in.u64(checksum) || checksum != fnv1a(in.rest())) {
    return fail_msg("seccomp cache entry: bad checksum");
  }
  uint64_t flags = 0, needs_listener = 0;
  std::string_view filter;
  if (!in.u64(flags) || !in.u64(needs_listener) || !in.str(filter) || !in.rest().empty() ||
      filter.empty() || filter.size() % sizeof(sock_filter) != 0 ||
      filter.size() / sizeof(sock_filter) > BPF_MAXINSNS) {
    return fail_msg("seccomp cache entry: truncated");
  }
  SeccompProgram program;
  program.flags = static_cast<unsigned>(flags);
  program.needs_listener = needs_listener != 0;
  program.filter.resize(filter.size() / sizeof(sock_filter));
  std::memcpy(program.filter.data(), filter.data(), filter.size());
  return program;
}

Result<SeccompProgram> compile_seccomp_cached(const Seccomp& seccomp,
                                              const std::string& cache_dir) {
  const std::string key = seccomp_cache_key(seccomp);
  const std::string path = fs::join(cache_dir, hex(fnv1a(key)));
  if (private_dir(cache_dir)) {
    if (auto cached = read_entry(path, key)) return std::move(*cached);
  }
  auto program = BERTH_TRY(compile_seccomp(seccomp));
  if (::mkdir(cache_dir.c_str(), 0700) == 0 || private_dir(cache_dir)) {
    (void)fs::write_file_atomic(path, encode_seccomp_entry(key, program), 0600);
  }
  return program;
}

}  // namespace berth::runtime
