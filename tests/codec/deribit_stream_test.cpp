// The streaming row decoders give what the DOM decoders gave (deribit_dom_reference.cpp) on every recorded payload,
// the fuzz seeds, hand-made edge cases and their truncations and one-byte changes; plus the edge cases' results.
#include "codec/deribit.hpp"
#include "support/read_file.hpp"
#include "tests/codec/deribit_dom_reference.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace derivcache::codec {
namespace {

namespace fs = std::filesystem;

const char* const source_dir = DERIVCACHE_TEST_DATA_DIR "/../..";

std::vector<fs::path> json_files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator{dir})
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      out.push_back(entry.path());
  return out;
}

std::vector<fs::path> recorded_payloads() {
  std::vector<fs::path> out;
  for (const char* dir : {"tests/data", "sim/data", "fuzz/corpus/deribit_codec_fuzz"}) {
    auto found = json_files_under(fs::path{source_dir} / dir);
    out.insert(out.end(), found.begin(), found.end());
  }
  std::vector<fs::path> crashes;
  if (fs::is_directory(fs::path{source_dir} / "tests/fuzz_regressions/deribit_codec_fuzz"))
    crashes = json_files_under(fs::path{source_dir} / "tests/fuzz_regressions/deribit_codec_fuzz");
  out.insert(out.end(), crashes.begin(), crashes.end());
  return out;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += s;
  return out;
}

const std::string good_option =
  R"({"instrument_name":"BTC-25DEC26-100000-C","base_currency":"BTC","mark_iv":50.34,"underlying_price":73038.53,)"
  R"("estimated_delivery_price":71048.7,"creation_timestamp":1773428415531,"bid_price":null,"mark_price":0.073})";

const std::string good_future =
  R"({"instrument_name":"BTC-PERPETUAL","base_currency":"BTC","mark_price":98231.67,)"
  R"("estimated_delivery_price":98215.44,"creation_timestamp":1736124757223,"funding_8h":8.131e-5})";

const std::string good_instrument =
  R"({"instrument_name":"BTC-28MAR25","kind":"future","base_currency":"BTC",)"
  R"("expiration_timestamp":1743148800000,"settlement_period":"month","strike":null})";

// Bodies that reach every branch of the envelope, the rows and the fields.
std::vector<std::string> edge_cases() {
  const std::string o = good_option;
  const std::string f = good_future;
  const std::string i = good_instrument;
  const std::string long_escaped = repeat("\\u0041", 1500);   // 9000 bytes in, 1500 out: arrives in parts
  std::vector<std::string> cases = {
    // envelopes
    R"({"jsonrpc":"2.0","result":[)" + o + "," + f + "," + i + R"(],"usIn":1,"usOut":2,"testnet":false})",
    "[" + o + "," + f + "," + i + "]",
    "[]", "{}", "null", "42", R"("result")", R"({"result":null})", R"({"result":{}})", R"({"result":[]})",
    R"({"result":[],"result":7})", R"({"result":7,"result":[)" + o + "]}",
    R"({"result":[)" + o + R"(],"result":[)" + f + "]}",
    R"({"a":{"result":[)" + o + "]}}", R"({"a":[{"result":[1]}],"result":[[)" + o + "]]}",
    R"({"result":[)" + o + R"(],"error":{"code":10028,"message":"too_many_requests"}})",
    R"({"error":{"code":10028,"message":"too_many_requests","data":{"reason":"slow down"}},"result":[)" + o + "]}",
    R"({"error":{"code":1},"error":null,"result":[)" + o + "]}",
    R"({"error":null,"error":{"message":"m"},"result":[)" + o + "]}",
    R"({"error":{"code":1,"message":"a","data":{"reason":"r"}},"error":{"message":"b"}})",
    R"({"error":"x","result":[]})", R"({"error":[{"code":1}]})", R"({"error":{}})",
    R"({"error":{"code":1.0,"message":7,"data":"d"}})", R"({"error":{"code":18446744073709551615}})",
    R"({"error":{"code":-3,"code":4,"message":"a","message":null,"data":{"reason":"r"},"data":[1]}})",
    R"({"error":{"data":{"reason":"r1","reason":"r2","x":{"reason":"no"}},"code":{"a":1}}})",
    R"({"error":{"message":")" + long_escaped + R"(","data":{"reason":")" + long_escaped + R"("}}})",
    // rows that are not objects
    R"({"result":[1,"x",null,true,[],[)" + o + "]," + o + "]}",
    // field kinds, duplicates and nesting
    "[" + o.substr(0, o.size() - 1) + R"(,"mark_price":-1})" + "]",
    "[" + o.substr(0, o.size() - 1) + R"(,"mark_price":-1,"mark_price":2})" + "]",
    "[" + o.substr(0, o.size() - 1) + R"(,"mark_iv":null})" + "]",
    "[" + o.substr(0, o.size() - 1) + R"(,"nested":{"mark_price":-1,"instrument_name":5},)" +
      R"("list":[{"mark_iv":-2}]})" + "]",
    "[" + o.substr(0, o.size() - 1) + R"(,"instrument_name":{"a":1}})" + "]",
    "[" + o.substr(0, o.size() - 1) + R"(,"instrument_name":["a"],"instrument_name":"B"})" + "]",
    R"([{"mark_price":-1,"underlying_price":"x"}])",
    R"([{"instrument_name":"A","mark_iv":true,"underlying_price":-1}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":1.5,"mark_iv":-1}])",
    R"([{"instrument_name":"A","base_currency":7}])",
    R"([{"instrument_name":null}])",
    R"([{"instrument_name":"A","underlying_price":1e400,"creation_timestamp":1}])",
    R"([{"instrument_name":"A","underlying_price":-1e400,"creation_timestamp":1}])",
    R"([{"instrument_name":"A","underlying_price":-0.0,"creation_timestamp":1,"mark_price":-0}])",
    R"([{"instrument_name":"A","underlying_price":18446744073709551615,"creation_timestamp":1.7e12}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":9223372036854775807}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":9223372036854775808}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":9.223372036854775807e18}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":-9.223372036854775808e18}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":-9223372036854775808}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":"1"}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":null}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":[1]}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":1e300}])",
    R"([{"instrument_name":"A","mark_price":1,"estimated_delivery_price":2,"creation_timestamp":3,)"
    R"("funding_8h":-1e-5}])",
    R"([{"instrument_name":"A","mark_price":1,"estimated_delivery_price":2,"creation_timestamp":3,"funding_8h":"x"}])",
    R"([{"instrument_name":"A","kind":"option","expiration_timestamp":1,"strike":-5}])",
    R"([{"instrument_name":"A","kind":null,"expiration_timestamp":1}])",
    R"([{"instrument_name":"A","kind":"future","expiration_timestamp":1,"settlement_period":false}])",
    // escapes: keys and strings as the DOM unescapes them, long ones in parts
    R"([{"instrument\u005fname":"\u0042TC-X","underlying_price":1,"creation_timestamp":2}])",
    R"([{"instrument_name":")" + long_escaped + R"(","underlying_price":1,"creation_timestamp":2}])",
    R"([{")" + long_escaped + R"(mark_price":-1,"instrument_name":"A","underlying_price":1,"creation_timestamp":2}])",
    R"([{"instrument_name":"A","underlying_price":1,"creation_timestamp":2,")" + long_escaped + R"(":{"x":")" +
      long_escaped + R"("}}])",
    // not JSON, as the DOM parser reports it
    "", " ", "[", "{", R"({"result":[)" + o, "[1,2] x", "[1,2]]", R"({"result":[]} {})", "[1,]", R"({"a":1,})",
    "[/* c */]", "// c\n[]", "[nul]", "[01]", "[1e]", "[-]", "[\"\\x\"]", "[\"\xff\"]", "[\"\xc3\"]", "[\"\x01\"]",
    "\xef\xbb\xbf[]", repeat("[", 40) + repeat("]", 40), repeat("[", 32) + repeat("]", 32),
    repeat("[", 33) + repeat("]", 33), "[" + repeat("{\"a\":", 31) + "1" + repeat("}", 31) + "]",
  };
  return cases;
}

void expect_same_as_dom(const std::string& body) {
  EXPECT_EQ(dom_reference::disagreement(body), "") << "body: " << body.substr(0, 300);
}

TEST(DeribitStreaming, EdgeCasesMatchTheDomDecoder) {
  for (const auto& body : edge_cases())
    expect_same_as_dom(body);
}

TEST(DeribitStreaming, RecordedPayloadsMatchTheDomDecoder) {
  auto files = recorded_payloads();
  ASSERT_GE(files.size(), 40u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    auto text = test::read_file(path.string());
    ASSERT_FALSE(text.empty());
    expect_same_as_dom(text);
  }
}

// Every prefix and every one-byte change (to a structural or number character) of the small bodies.
TEST(DeribitStreaming, TruncatedAndAlteredBodiesMatchTheDomDecoder) {
  std::vector<std::string> bodies;
  for (const auto& path : recorded_payloads())
    if (fs::file_size(path) <= 1100)
      bodies.push_back(test::read_file(path.string()));
  for (const auto& body : edge_cases())
    if (body.size() <= 600)
      bodies.push_back(body);
  ASSERT_GE(bodies.size(), 50u);
  std::size_t checked = 0;
  for (const auto& body : bodies) {
    for (std::size_t n = 0; n < body.size(); ++n) {
      auto prefix = body.substr(0, n);
      auto d = dom_reference::disagreement(prefix);
      ASSERT_EQ(d, "") << "prefix of " << n << " bytes of: " << body.substr(0, 300);
      for (char c : {'"', '{', ']', ',', '-', '1', 'n', '\\'}) {
        auto changed = body;
        changed[n] = c;
        d = dom_reference::disagreement(changed);
        ASSERT_EQ(d, "") << "body: " << changed.substr(0, 300);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 50000u);
}

TEST(DeribitStreaming, RealChainCutAnywhereMatchesTheDomDecoder) {
  auto chain = test::read_file(DERIVCACHE_TEST_DATA_DIR "/deribit_book_summary_option_btc_full_2026-03-13.json");
  ASSERT_EQ(chain.size(), 435521u);
  for (std::size_t n = 0; n < chain.size(); n += 4099)
    expect_same_as_dom(chain.substr(0, n));
  auto full = decode_option_summaries(chain);
  EXPECT_EQ(full.rows.size(), 964u);
  EXPECT_EQ(full.row_errors, std::vector<std::string>{});
}

// What the DOM decoder did and the streaming one keeps, spelled out.
TEST(DeribitStreaming, LaterDuplicateKeyWins) {
  auto row = good_option.substr(0, good_option.size() - 1);
  auto out = decode_option_summaries("[" + row + R"(,"mark_price":-1,"mark_price":2})" + "]");
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].mark_price, 2.0);
  out = decode_option_summaries("[" + row + R"(,"mark_price":2,"mark_price":-1})" + "]");
  EXPECT_EQ(out.row_errors, std::vector<std::string>{"options row 0: mark_price is negative"});
  out = decode_option_summaries(R"({"result":[],"result":[)" + good_option + "]}");
  EXPECT_EQ(out.rows.size(), 1u);
}

TEST(DeribitStreaming, FirstProblemInReadOrderNotDocumentOrder) {
  auto out = decode_option_summaries(R"([{"mark_price":-1,"underlying_price":"x","instrument_name":"A"}])");
  EXPECT_EQ(out.row_errors, std::vector<std::string>{"options row 0: underlying_price is not a number"});
  auto futures = decode_future_summaries(R"([{"funding_8h":"x","creation_timestamp":1.5,"mark_price":1}])");
  EXPECT_EQ(futures.row_errors, std::vector<std::string>{"futures row 0: instrument_name is missing"});
}

TEST(DeribitStreaming, NestedKeysAreNotTheRowsFields) {
  auto row = good_option.substr(0, good_option.size() - 1);
  auto out =
    decode_option_summaries("[" + row + R"(,"greeks":{"mark_price":-1,"mark_iv":"x"},"l":[{"mark_iv":-1}]})" + "]");
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].mark_price, 0.073);
  EXPECT_EQ(out.rows[0].mark_iv, 50.34);
}

TEST(DeribitStreaming, ErrorObjectAnywhereAtTopLevelIsTheReply) {
  auto out = decode_option_summaries(R"({"result":[)" + good_option +
                                     R"(],"error":{"code":10028,"message":"too_many_requests"},"usIn":1})");
  EXPECT_TRUE(out.rows.empty());
  ASSERT_TRUE(out.error_reply);
  EXPECT_EQ(out.error_reply->code, 10028);
  EXPECT_EQ(out.error_reply->message, "too_many_requests");
  EXPECT_EQ(out.fatal, "");
}

TEST(DeribitStreaming, LongEscapedStringsArriveWhole) {
  const std::string name = repeat("\\u0041", 1500);
  auto out = decode_option_summaries(R"([{"instrument_name":")" + name +
                                     R"(","underlying_price":1,"creation_timestamp":2}])");
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].instrument_name, std::string(1500, 'A'));
  // A long key that ends in a field's name is not that field.
  out = decode_option_summaries(R"([{")" + name + R"(mark_price":-1,"instrument_name":"A","underlying_price":1,)"
                                R"("creation_timestamp":2}])");
  EXPECT_EQ(out.row_errors, std::vector<std::string>{});
  EXPECT_EQ(out.rows.size(), 1u);
}

TEST(DeribitStreaming, MalformedBodyNamesTheDomParsersOffset) {
  const std::string cut = R"({"result":[)" + good_option;
  EXPECT_EQ(decode_option_summaries(cut).fatal, "not JSON: incomplete JSON at offset " + std::to_string(cut.size()));
  EXPECT_EQ(decode_future_summaries("[1,2] x").fatal, "not JSON: extra data at offset 6");
  EXPECT_EQ(decode_instruments(repeat("[", 33)).fatal, "not JSON: too deep at offset 32");
}

} // namespace
} // namespace derivcache::codec
