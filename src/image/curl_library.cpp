// libcurl, loaded on first use. Linked normally, libcurl brings 26 more shared libraries (GnuTLS,
// Kerberos, LDAP, ...) whose loading and constructors cost every berth command ~5 ms before
// main(), most of them (run, ps, exec) never touching the network. berth therefore defines the
// ten libcurl functions it calls, each forwarding to the real one in libcurl.so.4, which is opened
// the first time a registry is reached. The executable does not export these names, so libcurl's
// own calls still bind inside libcurl.
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace {

struct CurlLibrary {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  CURLcode (*easy_perform)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  bool loaded = false;
};

template <typename F>
bool bind(void* handle, const char* name, F& f) {
  f = reinterpret_cast<F>(::dlsym(handle, name));
  return f != nullptr;
}

const CurlLibrary& curl_library() {
  static CurlLibrary lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      std::fprintf(stderr, "berth: registry access needs libcurl (apt-get install libcurl4): %s\n",
                   ::dlerror());
      return;
    }
    lib.loaded = bind(h, "curl_global_init", lib.global_init) &&
                 bind(h, "curl_easy_init", lib.easy_init) &&
                 bind(h, "curl_easy_cleanup", lib.easy_cleanup) &&
                 bind(h, "curl_easy_reset", lib.easy_reset) &&
                 bind(h, "curl_easy_setopt", lib.easy_setopt) &&
                 bind(h, "curl_easy_getinfo", lib.easy_getinfo) &&
                 bind(h, "curl_easy_perform", lib.easy_perform) &&
                 bind(h, "curl_easy_strerror", lib.easy_strerror) &&
                 bind(h, "curl_slist_append", lib.slist_append) &&
                 bind(h, "curl_slist_free_all", lib.slist_free_all);
    if (!lib.loaded)
      std::fprintf(stderr, "berth: libcurl.so.4 lacks a function: %s\n", ::dlerror());
  });
  return lib;
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  const auto& lib = curl_library();
  return lib.loaded ? lib.global_init(flags) : CURLE_FAILED_INIT;
}

CURL* curl_easy_init() {
  const auto& lib = curl_library();
  return lib.loaded ? lib.easy_init() : nullptr;
}

void curl_easy_cleanup(CURL* curl) {
  curl_library().easy_cleanup(curl);
}
void curl_easy_reset(CURL* curl) {
  curl_library().easy_reset(curl);
}

// The third argument's type follows from the option's number range, as curl.h defines them.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  const auto& lib = curl_library();
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = lib.easy_setopt(curl, option, va_arg(ap, long));
  } else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB) {
    rc = lib.easy_setopt(curl, option, va_arg(ap, curl_off_t));
  } else {
    rc = lib.easy_setopt(curl, option, va_arg(ap, void*));
  }
  va_end(ap);
  return rc;
}

CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  va_list ap;
  va_start(ap, info);
  CURLcode rc = curl_library().easy_getinfo(curl, info, va_arg(ap, void*));
  va_end(ap);
  return rc;
}

CURLcode curl_easy_perform(CURL* curl) {
  return curl_library().easy_perform(curl);
}
const char* curl_easy_strerror(CURLcode code) {
  return curl_library().easy_strerror(code);
}

curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  return curl_library().slist_append(list, text);
}

void curl_slist_free_all(curl_slist* list) {
  curl_library().slist_free_all(list);
}

}  // extern "C"
