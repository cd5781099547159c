#include "crypto/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sys/random.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace weft::crypto {

Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
  return hmac_sha256(key, message, {});
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view part1, std::string_view part2) {
  // EVP_MAC is OpenSSL 3's interface; the fetched algorithm is cached per thread because
  // fetching is comparatively slow and this runs once per webhook.
  struct MacHandle {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ~MacHandle() { EVP_MAC_free(mac); }
  };
  thread_local MacHandle handle;
  if (handle.mac == nullptr) throw std::runtime_error("OpenSSL: HMAC unavailable");

  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(handle.mac);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                         OSSL_PARAM_construct_end()};
  Sha256Digest out{};
  std::size_t out_len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part1.data()), part1.size()) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part2.data()), part2.size()) == 1 &&
      EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok || out_len != out.size()) throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  return out;
}

Sha256Digest sha256(std::string_view data) {
  // Fetched once per thread, as for HMAC above: EVP_sha256() fetches on every call, through
  // OpenSSL's method store and its lock, and ids are hashed for every event and step.
  struct DigestHandle {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    ~DigestHandle() { EVP_MD_free(md); }
  };
  thread_local DigestHandle handle;
  if (handle.md == nullptr) throw std::runtime_error("OpenSSL: SHA-256 unavailable");
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, handle.md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return out;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url_encode(std::string_view data) {
  std::string out = base64_encode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes: drop them.
  std::size_t len = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

void fill_from_kernel(char* out, std::size_t bytes) {
  std::size_t filled = 0;
  while (filled < bytes) {
    const ssize_t n = getrandom(out + filled, bytes - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
    filled += static_cast<std::size_t>(n);
  }
}

// Counted up in a forked child, whose copy of a thread's pool holds the very bytes the parent
// is about to hand out: a pool filled in another generation is thrown away.
std::atomic<unsigned> fork_generation{0};
void count_fork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct RandomPool {
  std::array<char, 256> bytes{};
  std::size_t used = bytes.size();  // nothing left
  unsigned generation = 0;
};

}  // namespace

// From the kernel's CSPRNG (getrandom(2)), which OpenSSL seeds from too, rather than
// RAND_bytes: every webhook (correlation id) and outbound call (trace span) asks for some, from
// hundreds of threads, and OpenSSL 3 serialises them on one lock. Workflow workers run under
// SCHED_IDLE, so one preempted while holding it stalled everything else behind it, ingest
// included, for seconds (the engine benchmark's 6-30 s stalls; gdb showed 72 threads waiting on
// that lock). The kernel's generator keeps per-CPU state and no lock a thread can sleep holding.
//
// Read 256 bytes at a time into a pool per thread, so that an id costs no system call (one
// getrandom per webhook was 7 % of the HTTP thread's CPU in the engine benchmark's profile).
// Bytes handed out are wiped from the pool; a forked child starts a pool of its own.
std::string random_bytes(std::size_t bytes) {
  static const int fork_hook = pthread_atfork(nullptr, nullptr, &count_fork);
  (void)fork_hook;  // if it failed, forking (which the hub never does between draws) is unguarded
  thread_local RandomPool pool;
  std::string raw(bytes, '\0');
  if (bytes > pool.bytes.size() / 4) {
    fill_from_kernel(raw.data(), bytes);
    return raw;
  }
  if (const unsigned generation = fork_generation.load(std::memory_order_relaxed);
      pool.generation != generation) {
    pool.used = pool.bytes.size();
    pool.generation = generation;
  }
  if (pool.bytes.size() - pool.used < bytes) {
    fill_from_kernel(pool.bytes.data(), pool.bytes.size());
    pool.used = 0;
  }
  std::memcpy(raw.data(), pool.bytes.data() + pool.used, bytes);
  explicit_bzero(pool.bytes.data() + pool.used, bytes);
  pool.used += bytes;
  return raw;
}

std::string random_hex(std::size_t bytes) {
  const std::string raw = random_bytes(bytes);
  return to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
}

}  // namespace weft::crypto
