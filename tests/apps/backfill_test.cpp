// `derivcache backfill` as a user runs it: the real 2026-03-13 BTC chain turned into Tardis rows gives, at a step,
// the record `derivcache analyze` prints for the same data; the store, export, interruption and resumption.
#include "apps/backfill.hpp"
#include "quant/instrument.hpp"
#include "store/store.hpp"
#include "support/process.hpp"
#include "support/read_file.hpp"
#include "support/temp_file.hpp"

#include <boost/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <gtest/gtest.h>

using derivcache::test::child_process;
using derivcache::test::run_process;
using derivcache::test::temp_db;
using derivcache::test::temp_file;

namespace {

const std::string bin = std::string{DERIVCACHE_BINARY_DIR} + "/apps/derivcache";
const std::string chain_file = std::string{DERIVCACHE_TEST_DATA_DIR} + "/deribit_book_summary_option_btc_full_2026-03-13.json";
constexpr std::int64_t step_ms = 1'773'428'700'000;   // 2026-03-13T19:05:00Z, the first 5-minute step after the chain
constexpr std::int64_t minute = 60'000;

std::string num(double x) {
  std::ostringstream s;
  s.precision(17);
  s << x;
  return s.str();
}

// The real chain's rows, and per dated future (an `underlying_index` without SYN.) the mark its options show most
// often with the index: the futures curve at the same moment.
struct real_chain {
  boost::json::array options;
  std::map<std::string, std::pair<double, double>> futures;   // name -> (F, S)
};

const real_chain& chain() {
  static const real_chain c = [] {
    real_chain out;
    out.options = boost::json::parse(derivcache::test::read_file(chain_file)).at("result").as_array();
    std::map<std::string, std::map<double, int>> seen;
    double index = 0;
    for (const auto& v : out.options) {
      const auto& o = v.as_object();
      const std::string underlying{o.at("underlying_index").as_string()};
      index = o.at("estimated_delivery_price").to_number<double>();
      if (underlying.rfind("SYN.", 0) != 0)
        ++seen[underlying][o.at("underlying_price").to_number<double>()];
    }
    for (const auto& [name, prices] : seen) {
      auto most = std::max_element(prices.begin(), prices.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
      out.futures[name] = {most->first, index};
    }
    return out;
  }();
  return c;
}

struct timed_row {
  std::int64_t time_us;
  std::string text;
};

// options_chain and derivative_ticker files with the chain at each of `steps`: every row stamped at a seeded
// random time within the minute before its step, the files in time order (so not in the JSON's order).
struct tardis_files {
  temp_file options{".csv.gz"};
  temp_file futures{".csv"};
};

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb6");
  ASSERT_NE(f, nullptr);
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

void make_files(tardis_files& files, const std::vector<std::int64_t>& steps) {
  std::mt19937_64 rng{20260313};
  std::vector<timed_row> options, futures;
  auto stamp = [&](std::int64_t step) {
    return std::uniform_int_distribution<std::int64_t>{(step - minute) * 1000, step * 1000 - 1}(rng);
  };
  for (auto step : steps) {
    for (const auto& v : chain().options) {
      const auto& o = v.as_object();
      const std::string name{o.at("instrument_name").as_string()};
      const auto key = derivcache::quant::parse_option_key(name);
      const auto t = stamp(step);
      const bool put = key->type == derivcache::quant::option_type::put;
      options.push_back({t, "deribit," + name + "," + std::to_string(t) + "," + std::to_string(t + 1500) + "," +
                              (put ? "put" : "call") + "," + num(key->strike) + "," +
                              std::to_string(derivcache::quant::to_unix_ms(key->expiry) * 1000) + ",1,,,,,,,," +
                              num(o.at("mark_price").to_number<double>()) + "," +
                              num(o.at("mark_iv").to_number<double>()) + "," +
                              std::string{o.at("underlying_index").as_string()} + "," +
                              num(o.at("underlying_price").to_number<double>()) + ",,,,,"});
    }
    for (const auto& [name, prices] : chain().futures) {
      const auto t = stamp(step);
      futures.push_back({t, "deribit," + name + "," + std::to_string(t) + "," + std::to_string(t + 800) + ",,,,100,," +
                              num(prices.second) + "," + num(prices.first)});
    }
  }
  auto text = [](std::string header, std::vector<timed_row>& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.time_us < b.time_us; });
    for (const auto& r : rows)
      header += "\n" + r.text;
    return header + "\n";
  };
  write_gzip(files.options.path, text("exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,"
                                      "open_interest,last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,"
                                      "ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,gamma,vega,"
                                      "theta,rho", options));
  std::ofstream{files.futures.path} << text("exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,"
                                            "predicted_funding_rate,open_interest,last_price,index_price,mark_price",
                                            futures);
}

// The same futures as a get_book_summary_by_currency(kind=future) body, for analyze.
std::string futures_body() {
  boost::json::array rows;
  for (const auto& [name, prices] : chain().futures)
    rows.push_back({{"instrument_name", name}, {"base_currency", "BTC"}, {"mark_price", prices.first},
                    {"estimated_delivery_price", prices.second}, {"creation_timestamp", step_ms - 30'000}});
  return boost::json::serialize(boost::json::object{{"result", rows}});
}

// Every leaf where `a` and `b` differ ("surface[2].deltas[0].skew: 6.1 vs 6.2"); counts the leaves compared.
void compare(const boost::json::value& a, const boost::json::value& b, const std::string& path,
             std::vector<std::string>& differences, std::size_t& leaves) {
  if (a.kind() != b.kind()) {
    differences.push_back(path + ": " + boost::json::serialize(a) + " vs " + boost::json::serialize(b));
    return;
  }
  if (a.is_object()) {
    const auto& x = a.as_object();
    const auto& y = b.as_object();
    for (const auto& [k, v] : x) {
      if (!y.contains(k))
        differences.push_back(path + "." + std::string{k} + ": missing from backfill");
      else
        compare(v, y.at(k), path + "." + std::string{k}, differences, leaves);
    }
    for (const auto& [k, v] : y)
      if (!x.contains(k))
        differences.push_back(path + "." + std::string{k} + ": only in backfill");
  } else if (a.is_array()) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.size() != y.size())
      differences.push_back(path + ": " + std::to_string(x.size()) + " vs " + std::to_string(y.size()) + " entries");
    for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i)
      compare(x[i], y[i], path + "[" + std::to_string(i) + "]", differences, leaves);
  } else {
    ++leaves;
    if (a != b)
      differences.push_back(path + ": " + boost::json::serialize(a) + " vs " + boost::json::serialize(b));
  }
}

std::vector<std::string> record_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : derivcache::test::split_lines(text))
    if (!line.empty() && line[0] == '{')
      out.push_back(line);
  return out;
}

std::vector<std::string> backfill_args(const tardis_files& f, std::vector<std::string> more) {
  std::vector<std::string> args{bin, "backfill", "--options-chain", f.options.path, "--derivative-ticker",
                                f.futures.path, "--currencies", "BTC"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

} // namespace

TEST(BackfillCommand, TheRecordAtAStepEqualsAnalyzeOnTheSameRealChainFieldByField) {
  tardis_files files;
  make_files(files, {step_ms});
  temp_file futures_json{".json", futures_body()};
  temp_file out{".jsonl"};
  auto b = run_process(backfill_args(files, {"--every", "5min", "--from", "2026-03-13T19:05:00Z", "--until",
                                             "2026-03-13T19:05:01Z", "--out", out.path}));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto a = run_process({bin, "analyze", "--currency", "BTC", "--options", chain_file, "--futures", futures_json.path,
                        "--now", std::to_string(step_ms)});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto lines = derivcache::test::split_lines(derivcache::test::read_file(out.path));
  ASSERT_EQ(lines.size(), 1u);
  std::vector<std::string> differences;
  std::size_t leaves = 0;
  compare(boost::json::parse(a.out), boost::json::parse(lines[0]), "", differences, leaves);
  EXPECT_TRUE(differences.empty()) << differences.size() << " differences, first: " << differences.front();
  EXPECT_GT(leaves, 300u);   // basis, skew, both term structures, the whole surface, basis_cm, MFIV and its strip
  auto record = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(record.at("as_of_ms"), step_ms);
  EXPECT_NEAR(record.at("skew").at("value_pct").as_double(), 6.3213, 5e-4);
  // 54.944 at the chain's own time (19:00:15); five minutes on, the 30-day weights of the two expiries have moved.
  EXPECT_NEAR(record.at("mfiv").at("value_pct").as_double(), 54.947, 1e-3);
  EXPECT_EQ(record.at("basis").at("instrument"), "BTC-27MAR26");
  EXPECT_NE(b.err.find("options_chain: 964 rows read, 0 skipped"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("steps: 1 from 2026-03-13T19:05:00Z to 2026-03-13T19:05:00Z; records written: 1 (BTC 1)"),
            std::string::npos) << b.err;
}

TEST(BackfillCommand, ARunIntoTheSameStoreAddsNothingAndExportPrintsWhatTheFileRunWrote) {
  tardis_files files;
  make_files(files, {step_ms, step_ms + 5 * minute, step_ms + 10 * minute});   // rows in the minute before each
  temp_db db;
  temp_file out{".jsonl"};
  auto first = run_process(backfill_args(files, {"--every", "5min", "--from", "2026-03-13T19:05:00Z", "--until", "2026-03-13T19:20:00Z",
                                                  "--store", db.path}));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("steps: 3 from 2026-03-13T19:05:00Z to 2026-03-13T19:15:00Z; records written: 3 (BTC 3)"),
            std::string::npos) << first.err;
  auto again = run_process(backfill_args(files, {"--every", "5min", "--from", "2026-03-13T19:05:00Z", "--until", "2026-03-13T19:20:00Z",
                                                  "--store", db.path}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("records written: 0; already in the store: 3"), std::string::npos) << again.err;

  auto file_run = run_process(backfill_args(files, {"--every", "5min", "--from", "2026-03-13T19:05:00Z", "--until",
                                                     "2026-03-13T19:20:00Z", "--out", out.path}));
  ASSERT_EQ(file_run.exit_code, 0) << file_run.err;
  auto exported = run_process({bin, "export", "--since", "2026-03-13", "--until", "2026-03-14", "--store", db.path,
                               "--backfill"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, derivcache::test::read_file(out.path));
  EXPECT_EQ(record_lines(exported.out).size(), 3u);
}

TEST(BackfillCommand, SigintStopsAfterAWholeStepAndTheOutputHoldsOnlyWholeSteps) {
  tardis_files files;
  std::vector<std::int64_t> steps;
  for (int k = 0; k < 40; ++k)   // 40 records of about 9.5 KB: more than a pipe holds, so it cannot finish first
    steps.push_back(step_ms + k * minute);
  make_files(files, steps);
  child_process child{backfill_args(files, {"--every", "1min", "--from", "2026-03-13T19:05:00Z"}), true};
  ASSERT_TRUE(child.wait_for_stderr("{\"currency\":\"BTC\"", std::chrono::seconds{30}));
  EXPECT_EQ(child.signal_and_wait(SIGINT, std::chrono::seconds{30}), 130);
  auto records = record_lines(child.stderr_text());
  ASSERT_GE(records.size(), 1u);
  EXPECT_LT(records.size(), steps.size());
  for (std::size_t i = 0; i < records.size(); ++i)   // each line a whole record, the steps in order, none missing
    EXPECT_EQ(boost::json::parse(records[i]).at("as_of_ms"), step_ms + static_cast<std::int64_t>(i) * minute);
  EXPECT_NE(child.stderr_text().find("derivcache backfill: interrupted after the step at "), std::string::npos)
    << child.stderr_text();
}

TEST(BackfillCommand, AnInterruptedStoreRunKeepsWholeStepsAndTheSameCommandResumesIt) {
  tardis_files files;
  make_files(files, {step_ms, step_ms + 5 * minute, step_ms + 10 * minute});
  temp_db db;
  const std::vector<std::string> args{"--options-chain", files.options.path, "--derivative-ticker", files.futures.path,
                                      "--currencies", "BTC,ETH", "--every", "5min", "--from", "2026-03-13T19:05:00Z",
                                      "--until", "2026-03-13T19:20:00Z", "--store", db.path};
  // The stop flag SIGINT sets, raised when the first progress line appears (after the first whole step).
  std::atomic<bool> stop{false};
  struct stop_on_progress : std::stringbuf {
    std::atomic<bool>* flag;
    int overflow(int c) override {
      if (c == '\r')
        *flag = true;
      return std::stringbuf::overflow(c);
    }
  } buf;
  buf.flag = &stop;
  std::ostream err{&buf};
  std::ostringstream out;
  EXPECT_EQ(derivcache::apps::run_backfill(args, out, err, &stop, true), 130);
  EXPECT_NE(buf.str().find("steps: 1 from 2026-03-13T19:05:00Z to 2026-03-13T19:05:00Z; records written: 1 (BTC 1)"),
            std::string::npos) << buf.str();
  EXPECT_NE(buf.str().find("without enough data: ETH 1 step (no live rows within --max-row-age"), std::string::npos)
    << buf.str();
  // The progress line (a terminal): rows, rows per second, share of the input read, time left, the step.
  EXPECT_NE(buf.str().find("\rbackfill: 974 rows, "), std::string::npos) << buf.str();   // the first step read
  EXPECT_NE(buf.str().find("M rows/s, "), std::string::npos) << buf.str();
  EXPECT_NE(buf.str().find("% read, "), std::string::npos) << buf.str();
  EXPECT_NE(buf.str().find(" left, at 2026-03-13T19:05:00Z"), std::string::npos) << buf.str();
  EXPECT_NE(buf.str().find("interrupted after the step at 2026-03-13T19:05:00Z; run the same command again to resume"),
            std::string::npos) << buf.str();
  auto partial = run_process({bin, "export", "--since", "2026-03-13", "--until", "2026-03-14", "--store", db.path,
                              "--backfill"});
  EXPECT_EQ(record_lines(partial.out).size(), 1u);

  std::ostringstream out2, err2;
  EXPECT_EQ(derivcache::apps::run_backfill(args, out2, err2), 0);
  EXPECT_NE(err2.str().find("records written: 2 (BTC 2); already in the store: 1"), std::string::npos) << err2.str();
  auto full = run_process({bin, "export", "--since", "2026-03-13", "--until", "2026-03-14", "--store", db.path,
                           "--backfill"});
  auto lines = record_lines(full.out);
  ASSERT_EQ(lines.size(), 3u);
  for (std::size_t i = 0; i < lines.size(); ++i)
    EXPECT_EQ(boost::json::parse(lines[i]).at("as_of_ms"), step_ms + static_cast<std::int64_t>(i) * 5 * minute);
}

TEST(BackfillCommand, AMissingColumnABadOptionAndFilesOutOfOrderExitWithTwoAndOneLine) {
  temp_file no_iv{".csv", "symbol,timestamp,type,strike_price,expiration,mark_price,underlying_price\n"};
  auto r = run_process({bin, "backfill", "--options-chain", no_iv.path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "derivcache backfill: " + no_iv.path + ": no column 'mark_iv' in the header (an options_chain file "
                   "needs symbol, timestamp, type, strike_price, expiration, mark_price, mark_iv, underlying_price)\n");
  EXPECT_EQ(r.out, "");

  r = run_process({bin, "backfill", "--options-chain", no_iv.path, "--every", "5 minutes"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "derivcache backfill: --every '5 minutes' is not a duration such as 30s, 5min or 1h\n");
  r = run_process({bin, "backfill", "--options-chain", no_iv.path, "--currencies", "BTC,DOGE"});
  EXPECT_EQ(r.err, "derivcache backfill: --currencies: unknown currency 'DOGE' (supported: BTC, ETH, SOL)\n");
  r = run_process({bin, "backfill", "--every", "1min"});
  EXPECT_EQ(r.err, "derivcache backfill: give --options-chain FILE..., --derivative-ticker FILE... or both\n");

  tardis_files first, second;
  make_files(first, {step_ms});
  make_files(second, {step_ms + 60 * minute});
  r = run_process({bin, "backfill", "--options-chain", second.options.path, first.options.path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("comes before " + second.options.path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("give the options_chain files in time order"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");   // refused before any step
}

TEST(BackfillCommand, ExportOfBackfillFromAStoreWrittenBeforeItSaysSo) {
  temp_db db;
  {
    derivcache::store::store_options o;
    o.path = db.path;
    derivcache::store::feature_store s{o};
    s.db().exec("DROP TABLE backfill; PRAGMA user_version = 3");
  }
  auto r = run_process({bin, "export", "--since", "2026-03-13", "--until", "2026-03-14", "--store", db.path,
                        "--backfill"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "derivcache export: " + db.path + ": no backfilled records (schema version 3, written before "
                   "derivcache backfill)\n");
}
