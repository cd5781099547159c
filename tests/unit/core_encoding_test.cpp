// Encodings and time formats that the wire protocols depend on.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/time_format.hpp"
#include "crypto/hmac.hpp"

namespace weft {
namespace {

TEST(Hex, RoundTripsAndRejectsBadInput) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  const std::string hex =
      crypto::to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  EXPECT_EQ(hex, "0001abff");
  EXPECT_EQ(crypto::from_hex(hex), bytes);
  EXPECT_EQ(crypto::from_hex("0001ABFF"), bytes);
  EXPECT_FALSE(crypto::from_hex("abc").has_value());
  EXPECT_FALSE(crypto::from_hex("zz").has_value());
}

TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(crypto::base64_encode(plain), encoded);
    EXPECT_EQ(crypto::base64_decode(encoded), std::string(plain));
  }
  EXPECT_FALSE(crypto::base64_decode("abc").has_value());
  EXPECT_FALSE(crypto::base64_decode("a$==").has_value());
  EXPECT_EQ(crypto::base64url_encode("\xfb\xff"), "-_8");
}

TEST(Hmac, MatchesRfc4231TestCase2) {
  EXPECT_EQ(crypto::to_hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Two parts hash as their concatenation.
  EXPECT_EQ(crypto::hmac_sha256("Jefe", "what do ya ", "want for nothing?"),
            crypto::hmac_sha256("Jefe", "what do ya want for nothing?"));
}

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(crypto::to_hex(crypto::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(crypto::to_hex(crypto::sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(crypto::constant_time_equals("abc", "abc"));
  EXPECT_FALSE(crypto::constant_time_equals("abc", "abd"));
  EXPECT_FALSE(crypto::constant_time_equals("abc", "abcd"));
  EXPECT_TRUE(crypto::constant_time_equals("", ""));
}

TEST(RandomHex, HasTheRequestedLengthAndVaries) {
  const std::string a = crypto::random_hex(16), b = crypto::random_hex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

// Ids are drawn from many threads at once (every webhook, every outbound call): each gets its
// own bytes, and a request larger than one read of the kernel's generator comes back whole.
TEST(RandomBytes, ManyThreadsEachGetTheirOwnAndLargeRequestsAreFilled) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<std::string>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&drawn, t] {
      for (int i = 0; i < kPerThread; ++i) drawn[t].push_back(crypto::random_hex(16));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> distinct;
  for (const auto& ids : drawn) distinct.insert(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kPerThread));

  const std::string large = crypto::random_bytes(1 << 20);
  ASSERT_EQ(large.size(), std::size_t{1} << 20);
  // A megabyte of zeros (or of one value) from a working generator is not going to happen.
  EXPECT_NE(large.find_first_not_of(large[0]), std::string::npos);
  EXPECT_NE(large.substr(0, 4096), large.substr(large.size() - 4096));
}

// Drawn from a pool per thread: a forked child must not draw what its parent draws next.
TEST(RandomBytes, AForkedChildDrawsBytesOfItsOwn) {
  (void)crypto::random_hex(8);  // this thread's pool is filled, its next bytes known to a child
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string drawn = crypto::random_hex(16);
    const ssize_t written = write(pipe_fds[1], drawn.data(), drawn.size());
    _exit(written == static_cast<ssize_t>(drawn.size()) ? 0 : 1);
  }
  close(pipe_fds[1]);
  const std::string parent_drawn = crypto::random_hex(16);
  std::string child_drawn(32, '\0');
  std::size_t got = 0;
  while (got < child_drawn.size()) {
    const ssize_t n = read(pipe_fds[0], child_drawn.data() + got, child_drawn.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(got, child_drawn.size());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(child_drawn, parent_drawn);
}

TEST(Iso8601, ParsesZonesAndFractions) {
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_ms("2021-03-25T05:09:27Z"), 1616648967000);
  EXPECT_EQ(parse_iso8601_ms("2021-03-25T05:09:27.5Z"), 1616648967500);
  EXPECT_EQ(parse_iso8601_ms("2021-03-25T07:09:27+02:00"), 1616648967000);
  EXPECT_EQ(parse_iso8601_ms("2021-03-25T00:09:27-0500"), 1616648967000);
  for (const char* bad : {"", "2021-03-25", "2021-03-25T05:09:27", "2021-13-25T05:09:27Z",
                          "2021-03-25T05:09:27Zjunk", "2021-03-25T05:09:27."}) {
    EXPECT_FALSE(parse_iso8601_ms(bad).has_value()) << bad;
  }
}

TEST(Iso8601, FormatsMillisecondsRoundTrip) {
  EXPECT_EQ(format_iso8601_ms(1616648967123), "2021-03-25T05:09:27.123Z");
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(parse_iso8601_ms(format_iso8601_ms(4102444799999)), 4102444799999);
}

TEST(UnixSeconds, DigitsOnly) {
  EXPECT_EQ(parse_unix_seconds("1492774577"), 1492774577);
  EXPECT_FALSE(parse_unix_seconds("").has_value());
  EXPECT_FALSE(parse_unix_seconds("-1").has_value());
  EXPECT_FALSE(parse_unix_seconds("12a").has_value());
  EXPECT_FALSE(parse_unix_seconds("99999999999999999999").has_value());
}

TEST(OperatorTime, TakesIso8601OrUnixSecondsAndNothingElse) {
  EXPECT_EQ(parse_operator_time_ms("2026-11-25T10:00:00Z"), 1795600800000);
  EXPECT_EQ(parse_operator_time_ms("1795600800"), 1795600800000);
  EXPECT_EQ(parse_operator_time_ms("2026-11-25T10:00:00.250+01:00"), 1795597200250);
  EXPECT_FALSE(parse_operator_time_ms("yesterday"));
  EXPECT_FALSE(parse_operator_time_ms("-5"));
  EXPECT_FALSE(parse_operator_time_ms(""));
}

}  // namespace
}  // namespace weft
