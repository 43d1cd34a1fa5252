#include "image/digest.hpp"

#include <openssl/evp.h>

namespace berth::image {

Result<Digest> parse_digest(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail_msg("invalid digest " + quote(std::string(text)));
  Digest d{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  if (d.algorithm != "sha256")
    return fail_msg("unsupported digest algorithm " + quote(d.algorithm) + " in " +
                    quote(std::string(text)));
  if (d.hex.size() != 64 || d.hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return fail_msg("invalid sha256 digest " + quote(std::string(text)));
  return d;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256::update(const void* data, size_t len) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, len);
}

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return Digest{"sha256", hex};
}

Status check_digest(const Digest& d) {
  if (auto r = parse_digest(d.str()); !r) return fail(r.error());
  return {};
}

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.finish();
}

}  // namespace berth::image
