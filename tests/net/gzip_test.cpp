// gzip bodies: the real chain round-trips, a bomb stops at the cap without inflating the rest, a damaged
// stream is an error that says what is wrong.
#include "net/gzip.hpp"

#include "support/read_file.hpp"

#include <gtest/gtest.h>

using derivcache::net::gzip;
using derivcache::net::inflate_gzip;
using derivcache::net::inflated;

namespace {

std::string real_chain() {
  return derivcache::test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} +
                                     "/deribit_book_summary_option_btc_full_2026-03-13.json");
}

} // namespace

TEST(Gzip, TheRealChainRoundTripsAtAboutANinthOfItsSize) {
  const auto chain = real_chain();
  const auto packed = gzip(chain);
  EXPECT_LT(packed.size() * 8, chain.size()) << packed.size();
  auto out = inflate_gzip(packed, chain.size());   // exactly the cap still inflates
  ASSERT_EQ(out.result, inflated::status::ok) << out.message;
  EXPECT_EQ(out.body, chain);
}

TEST(Gzip, ABombStopsAtTheCapWithoutInflatingTheRest) {
  const std::size_t cap = 1u << 20;
  const auto bomb = gzip(std::string(64u << 20, ' '), 9);   // 64 MiB of spaces in about 64 KB
  ASSERT_LT(bomb.size(), 128u << 10);
  auto out = inflate_gzip(bomb, cap);
  EXPECT_EQ(out.result, inflated::status::too_large);
  EXPECT_EQ(out.message, "gzip: decompresses past 1048576 bytes");
  EXPECT_EQ(out.body.size(), cap);
  EXPECT_LT(out.body.capacity(), 2 * cap);   // what was allocated: the cap, not the 64 MiB
}

TEST(Gzip, OneByteOverTheCapIsTooLarge) {
  auto out = inflate_gzip(gzip(std::string(1001, 'x')), 1000);
  EXPECT_EQ(out.result, inflated::status::too_large) << out.message;
}

TEST(Gzip, ATrailerThatLiesAboutTheSizeAllocatesNoMoreThanTheCap) {
  auto packed = gzip(std::string(4096, 'x'));
  for (std::size_t i = packed.size() - 4; i < packed.size(); ++i)
    packed[i] = '\xff';   // ISIZE 4 GiB - 1
  auto out = inflate_gzip(packed, 1u << 16);
  EXPECT_EQ(out.result, inflated::status::corrupt);
  EXPECT_EQ(out.message, "gzip: incorrect length check");
  EXPECT_LE(out.body.capacity(), 2u << 16);
}

TEST(Gzip, DamagedStreamsAreCorruptAndSayWhy) {
  const auto packed = gzip(real_chain());
  auto cut = inflate_gzip(packed.substr(0, packed.size() / 2), 16u << 20);
  EXPECT_EQ(cut.result, inflated::status::corrupt);
  EXPECT_EQ(cut.message, "gzip: the body ends before the end of the stream");

  auto plain = inflate_gzip(R"({"jsonrpc":"2.0","result":[]})", 16u << 20);
  EXPECT_EQ(plain.result, inflated::status::corrupt);
  EXPECT_EQ(plain.message, "gzip: incorrect header check");

  auto flipped = packed;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  auto damaged = inflate_gzip(flipped, 16u << 20);
  EXPECT_EQ(damaged.result, inflated::status::corrupt);
  EXPECT_EQ(damaged.message.rfind("gzip: ", 0), 0u) << damaged.message;

  auto trailing = inflate_gzip(gzip("{}") + "junk", 1024);
  EXPECT_EQ(trailing.result, inflated::status::corrupt);
  EXPECT_EQ(trailing.message, "gzip: 4 bytes after the end of the stream");

  EXPECT_EQ(inflate_gzip("", 1024).message, "gzip: the body ends before the end of the stream");
}
