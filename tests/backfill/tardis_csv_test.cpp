// Reading Tardis CSV rows: the real sample rows, header mapping, every malformed case, plain and gzip files.
#include "backfill/line_reader.hpp"
#include "backfill/tardis_csv.hpp"
#include "support/temp_file.hpp"

#include <zlib.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace derivcache::backfill;
using derivcache::test::temp_file;

namespace {

const std::string data = DERIVCACHE_TEST_DATA_DIR;

std::vector<std::string> read_lines(const std::string& path, std::string* error = nullptr) {
  line_reader r{path};
  std::vector<std::string> out;
  std::string_view line;
  while (r.next(line))
    out.emplace_back(line);
  if (error)
    *error = r.error();
  return out;
}

void write_gzip(const std::string& path, const std::vector<std::string>& members) {
  // Each string is one gzip member: `cat a.gz b.gz` is a valid gzip file too.
  std::string all;
  for (const auto& m : members) {
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, m.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
    zs.avail_in = static_cast<uInt>(m.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    all += out;
  }
  std::ofstream{path, std::ios::binary} << all;
}

const auto option_header = std::string{
  "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,bid_price,"
  "bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,gamma,"
  "vega,theta,rho"};

column_map option_map(const std::string& header = option_header) {
  return map_columns(header, option_columns::names, option_columns::required);
}

} // namespace

TEST(TardisCsv, TheTwoRealRowsOfThePublicSampleParseToTheValuesTheyCarry) {
  auto lines = read_lines(data + "/tardis_options_chain_deribit_2020-06-07_head.csv");
  ASSERT_EQ(lines.size(), 3u);
  auto map = option_map(lines[0]);
  EXPECT_TRUE(map.missing.empty());
  option_tick row;
  ASSERT_FALSE(read_option_row(lines[1], map, row));
  EXPECT_EQ(row.symbol, "BTC-9JUN20-9875-P");
  EXPECT_EQ(row.time_us, 1591574399413000);
  EXPECT_EQ(row.type, derivcache::quant::option_type::put);
  EXPECT_EQ(row.strike, 9875);
  EXPECT_EQ(row.expiration_us, 1591689600000000);   // 2020-06-09T08:00:00Z
  EXPECT_EQ(row.mark_price, 0.02210436);
  EXPECT_EQ(row.mark_iv, 62.89);
  EXPECT_EQ(row.underlying_price, 9756.36);
  ASSERT_FALSE(read_option_row(lines[2], map, row));
  EXPECT_EQ(row.time_us, 1591574404454000);
  EXPECT_EQ(row.mark_price, 0.02209480);
  EXPECT_EQ(row.mark_iv, 62.86);
  EXPECT_EQ(row.underlying_price, 9756.37);
}

TEST(TardisCsv, ColumnsAreFoundByTheHeaderInAnyOrderAndUnknownOnesIgnored) {
  auto map = option_map("mark_iv,extra,underlying_price,symbol,type,expiration,timestamp,strike_price,mark_price");
  ASSERT_TRUE(map.missing.empty());
  option_tick row;
  ASSERT_FALSE(read_option_row("55.5,zzz,70000,BTC-27MAR26-70000-C,call,1774598400000000,1773428400000000,70000,0.05",
                               map, row));
  EXPECT_EQ(row.symbol, "BTC-27MAR26-70000-C");
  EXPECT_EQ(row.mark_iv, 55.5);
  EXPECT_EQ(row.mark_price, 0.05);
  EXPECT_EQ(row.underlying_price, 70000);
  EXPECT_EQ(row.type, derivcache::quant::option_type::call);

  EXPECT_EQ(option_map("symbol,timestamp,type,strike_price,expiration,mark_price,underlying_price").missing, "mark_iv");
  auto futures = map_columns("exchange,symbol,timestamp,mark_price", future_columns::names, future_columns::required);
  EXPECT_EQ(futures.missing, "index_price");
  futures = map_columns("\xEF\xBB\xBFsymbol,timestamp,mark_price,index_price", future_columns::names,
                        future_columns::required);
  EXPECT_TRUE(futures.missing.empty());   // a byte order mark before the first name
}

TEST(TardisCsv, EachMalformedRowHasItsReason) {
  auto map = option_map();
  const std::string ok = "deribit,BTC-9JUN20-9875-P,1591574399413000,1591574400196008,put,9875,1591689600000000,0.1,"
                         "0.0295,0.0205,15.1,55.91,0.0235,15.2,68.94,0.02210436,62.89,SYN.BTC-9JUN20,9756.36,,,,,";
  option_tick row;
  ASSERT_FALSE(read_option_row(ok, map, row));
  auto with = [&](std::size_t column, const std::string& value) {
    std::vector<std::string> f;
    std::size_t start = 0;
    for (;;) {
      auto comma = ok.find(',', start);
      f.push_back(ok.substr(start, comma - start));
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    f[column] = value;
    std::string line;
    for (std::size_t i = 0; i < f.size(); ++i)
      line += (i ? "," : "") + f[i];
    return line;
  };
  EXPECT_EQ(read_option_row(with(15, ""), map, row), skip_reason::missing_field);        // mark_price
  EXPECT_EQ(read_option_row(with(16, "n/a"), map, row), skip_reason::not_a_number);     // mark_iv
  EXPECT_EQ(read_option_row(with(18, "9756.36x"), map, row), skip_reason::not_a_number);
  EXPECT_EQ(read_option_row(with(18, "inf"), map, row), skip_reason::not_a_number);
  EXPECT_EQ(read_option_row(with(2, "1591574399.413"), map, row), skip_reason::not_a_number);   // timestamp
  EXPECT_EQ(read_option_row(with(4, "PUT"), map, row), skip_reason::unknown_type);
  EXPECT_EQ(read_option_row(with(4, "future"), map, row), skip_reason::unknown_type);
  EXPECT_EQ(read_option_row("deribit,BTC-9JUN20-9875-P,1591574399413000", map, row), skip_reason::missing_field);
  EXPECT_EQ(read_option_row("", map, row), skip_reason::missing_field);

  auto fmap = map_columns("exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,"
                          "predicted_funding_rate,open_interest,last_price,index_price,mark_price",
                          future_columns::names, future_columns::required);
  future_tick f;
  ASSERT_FALSE(read_future_row("deribit,BTC-PERPETUAL,1786320665523000,1786320665533324,,0.00000459,,705041730,"
                               "65255.5,65203.53,65220.13", fmap, f));
  EXPECT_EQ(f.symbol, "BTC-PERPETUAL");
  EXPECT_EQ(f.index_price, 65203.53);
  EXPECT_EQ(f.mark_price, 65220.13);
  ASSERT_TRUE(f.funding_rate);
  EXPECT_EQ(*f.funding_rate, 0.00000459);
  ASSERT_FALSE(read_future_row("deribit,BTC-27MAR26,1786320665523000,1,,,,7,65255.5,65203.53,65990", fmap, f));
  EXPECT_FALSE(f.funding_rate);   // empty: a dated future has no funding
  EXPECT_EQ(read_future_row("deribit,BTC-27MAR26,1786320665523000,1,,,,7,65255.5,,65990", fmap, f),
            skip_reason::missing_field);
  EXPECT_EQ(read_future_row("deribit,BTC-27MAR26,1786320665523000,1,,x,,7,65255.5,1,65990", fmap, f),
            skip_reason::not_a_number);
}

TEST(LineReader, PlainAndGzipFilesGiveTheSameLines) {
  const std::string text = "a,b\r\n1,2\n\n3,4";   // CRLF, an empty line, no end of line at the end
  temp_file plain{".csv", text};
  temp_file gz{".csv.gz"};
  write_gzip(gz.path, {"a,b\r\n1,", "2\n\n3,4"});   // two members, a line split between them
  const std::vector<std::string> expected{"a,b", "1,2", "", "3,4"};
  EXPECT_EQ(read_lines(plain.path), expected);
  EXPECT_EQ(read_lines(gz.path), expected);
}

TEST(LineReader, LongLinesAcrossBlocksAreWhole) {
  std::string big(5u << 20, 'x');   // longer than one decoded block
  temp_file gz{".csv.gz"};
  write_gzip(gz.path, {"h\n" + big + "\nlast\n"});
  auto lines = read_lines(gz.path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].size(), big.size());
  EXPECT_EQ(lines[2], "last");
}

TEST(LineReader, ACutGzipFileAndAMissingFileAreErrorsNamingThem) {
  temp_file gz{".csv.gz"};
  write_gzip(gz.path, {std::string(200000, 'y') + "\n"});
  std::string bytes;
  {
    std::ifstream in{gz.path, std::ios::binary};
    bytes.assign(std::istreambuf_iterator<char>{in}, {});
  }
  std::ofstream{gz.path, std::ios::binary | std::ios::trunc} << bytes.substr(0, bytes.size() / 2);
  std::string error;
  read_lines(gz.path, &error);
  EXPECT_EQ(error, gz.path + ": gzip: the file ends before the end of the stream");
  read_lines("/nonexistent/x.csv", &error);
  EXPECT_EQ(error, "/nonexistent/x.csv: cannot read: No such file or directory");
}

TEST(TardisCsv, NumbersAreTheValuesFromCharsGivesToTheLastBit) {
  // The fast path for short decimals must not change a record: every value equals std::from_chars's.
  auto map = map_columns("symbol,timestamp,type,strike_price,expiration,mark_price,mark_iv,underlying_price",
                         option_columns::names, option_columns::required);
  std::mt19937_64 rng{42};
  std::vector<std::string> texts{"0", "0.0", "1", "-0.5", "0.02210436", "62.89", "9756.36", "71048.7", "1e-5",
                                 "123456789012345", "1234567890123456", "0.000000000000001", "99999.99999999999",
                                 "3.14159265358979", "0.1", "0.7", "5e300"};
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 17);
    std::string t = std::to_string(rng() % 1'000'000'000'000'000'000ull).substr(0, static_cast<std::size_t>(digits));
    t.insert(rng() % (t.size() + 1), ".");
    if (t.front() == '.')
      t.insert(0, "0");
    texts.push_back(t);
  }
  option_tick row;
  for (const auto& t : texts) {
    ASSERT_FALSE(read_option_row("BTC-27MAR26-70000-C,1,call,70000,2," + t + ",50,70000", map, row)) << t;
    double expected = 0;
    std::from_chars(t.data(), t.data() + t.size(), expected);
    EXPECT_EQ(std::memcmp(&row.mark_price, &expected, sizeof expected), 0) << t << ": " << row.mark_price;
  }
}
