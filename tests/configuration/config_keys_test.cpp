// Every configuration key with an invalid value: start-up stops with a message naming the key. A key
// added to keys() without a case here fails KeyWithoutAnInvalidValueCase.
#include "configuration/keys.hpp"

#include <caf/actor_system_config.hpp>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

using namespace derivcache::configuration;

namespace {

struct invalid_case {
  const char* key;
  const char* ini;                       ///< the config file (the section header included)
  std::vector<std::string> problems;     ///< exactly what from_settings reports
};

const std::vector<invalid_case>& invalid_cases() {
  static const std::vector<invalid_case> cases = {
    {"deribit.url", "[deribit]\nurl=\"wss://www.deribit.com\"\n", {"deribit.url: must be an https:// URL"}},
    {"deribit.interval", "[deribit]\ninterval=0s\n", {"deribit.interval: must be a positive duration, got 0s"}},
    {"deribit.timeout", "[deribit]\ntimeout=500us\n", {"deribit.timeout: must be at least 1ms, got 500us"}},
    {"deribit.ca-file", "[deribit]\nca-file=\"/nonexistent/ca.pem\"\n",
     {"deribit.ca-file: cannot read '/nonexistent/ca.pem'"}},
    {"deribit.max-body", "[deribit]\nmax-body=0\n", {"deribit.max-body: must be positive"}},
    {"deribit.compression", "[deribit]\ncompression=\"br\"\n", {"deribit.compression: must be gzip or none, not 'br'"}},
    {"deribit.currencies", "[deribit]\ncurrencies=[\"BTC\", \"DOGE\"]\n",
     {"deribit.currencies: unknown currency 'DOGE' (supported: BTC, ETH, SOL)"}},
    {"deribit.min-dte", "[deribit]\nmin-dte=-1\n", {"deribit.min-dte: must be zero or more days"}},
    {"deribit.max-requests-per-second", "[deribit]\nmax-requests-per-second=0\n",
     {"deribit.max-requests-per-second: must be positive"}},
    {"supervisor.min-backoff", "[supervisor]\nmin-backoff=-1s\n",
     {"supervisor.min-backoff: must be a positive duration, got -1s"}},
    {"supervisor.rate-limit-min-backoff", "[supervisor]\nrate-limit-min-backoff=0s\n",
     {"supervisor.rate-limit-min-backoff: must be a positive duration, got 0s"}},
    {"supervisor.max-backoff", "[supervisor]\nmax-backoff=2s\n",
     {"supervisor.max-backoff: must not be shorter than the minimum backoffs"}},
    {"supervisor.max-failures", "[supervisor]\nmax-failures=0\n", {"supervisor.max-failures: must be at least 1"}},
    {"cache.max-age", "[cache]\nmax-age=0s\n", {"cache.max-age: must be a positive duration, got 0s"}},
    {"thresholds.basis-extreme-contango", "[thresholds]\nbasis-extreme-contango=5\n",
     {"thresholds.basis-extreme-contango (5) must be greater than thresholds.basis-contango (10)"}},
    {"thresholds.basis-contango", "[thresholds]\nbasis-contango=-10\n",
     {"thresholds.basis-contango (-10) must be greater than thresholds.basis-neutral (-5)"}},
    {"thresholds.basis-neutral", "[thresholds]\nbasis-neutral=\"low\"\n",
     {"thresholds.basis-neutral: expected a number, got \"low\""}},
    {"thresholds.skew-extreme-fear", "[thresholds]\nskew-extreme-fear=1\n",
     {"thresholds.skew-extreme-fear (1) must be greater than thresholds.skew-fear (5)"}},
    {"thresholds.skew-fear", "[thresholds]\nskew-fear=-6\n",
     {"thresholds.skew-fear (-6) must be greater than thresholds.skew-neutral (-5)"}},
    {"thresholds.skew-neutral", "[thresholds]\nskew-neutral=true\n",
     {"thresholds.skew-neutral: expected a number, got true"}},
    {"surface.tenors", "[surface]\ntenors=[7, 30, 0, 30]\n",
     {"surface.tenors: '0' is not a positive number of days", "surface.tenors: '30' is listed twice"}},
    {"surface.deltas", "[surface]\ndeltas=[0.25, 0.5]\n", {"surface.deltas: '0.5' is not in (0, 0.5)"}},
    {"skew.tenor", "[skew]\ntenor=45\n",
     {"skew.tenor: 45 is not one of surface.tenors [7, 30, 60, 90, 180]: the headline skew is the surface's record "
      "at (skew.tenor, skew.delta)"}},
    {"skew.delta", "[surface]\ndeltas=[0.1]\n[skew]\ndelta=0.25\n",
     {"skew.delta: 0.25 is not one of surface.deltas [0.1]: the headline skew is the surface's record at "
      "(skew.tenor, skew.delta)"}},
    {"basis.tenors", "[basis]\ntenors=[]\n", {"basis.tenors: must name at least one tenor"}},
    {"mfiv.tenor", "[mfiv]\ntenor=0\n", {"mfiv.tenor: must be a positive number of days, got 0"}},
    {"binance.url", "[binance]\nurl=\"https://stream.binance.com:9443\"\n", {"binance.url: must be a wss:// URL"}},
    {"binance.symbols", "[binance]\nsymbols=[\"BTC-USDT\"]\n",
     {"binance.symbols: 'BTC-USDT' is not a spot symbol (letters and digits, e.g. BTCUSDT)"}},
    {"binance.ca-file", "[binance]\nca-file=\"/nonexistent/ca.pem\"\n",
     {"binance.ca-file: cannot read '/nonexistent/ca.pem'"}},
    {"binance.timeout", "[binance]\ntimeout=0s\n", {"binance.timeout: must be a positive duration, got 0s"}},
    {"binance.min-backoff", "[binance]\nmin-backoff=0s\n", {"binance.min-backoff: must be a positive duration, got 0s"}},
    {"binance.max-backoff", "[binance]\nmax-backoff=500ms\n",
     {"binance.max-backoff: must not be shorter than binance.min-backoff"}},
    {"binance.stale-after", "[binance]\nstale-after=0s\n", {"binance.stale-after: must be a positive duration, got 0s"}},
    {"binance.max-queued-trades", "[binance]\nmax-queued-trades=0\n",
     {"binance.max-queued-trades: must be between 1 and 10000000"}},
    {"binance.symbol-currencies", "[binance]\nsymbol-currencies=[\"XBTUSDT\"]\n",
     {"binance.symbol-currencies: 'XBTUSDT' is not SYMBOL=CURRENCY with a currency of BTC, ETH, SOL"}},
    {"snapshots.interval", "[snapshots]\ninterval=-1s\n",
     {"snapshots.interval: must be a non-negative duration, got -1s"}},
    {"snapshots.path", "[snapshots]\ninterval=10s\npath=\"\"\n",
     {"snapshots.path: must name a file when snapshots.interval is set (or snapshots.record=true)"}},
    {"snapshots.record", "[snapshots]\nrecord=true\n",
     {"snapshots.record: needs store.path", "snapshots.record: needs snapshots.interval > 0s"}},
    {"store.path", "[store]\npath=5\n", {"store.path: expected a quoted string, got 5"}},
    {"store.busy-timeout", "[store]\nbusy-timeout=-1s\n", {"store.busy-timeout: must be a non-negative duration, got -1s"}},
    {"store.max-pending-bars", "[store]\nmax-pending-bars=0\n", {"store.max-pending-bars: must be at least 1, got 0"}},
    {"store.retention", "[store]\nretention=30min\n",
     {"store.retention: must not be shorter than the longest of outcomes.horizons (1h), got 30min"}},
    {"store.snapshot-retention", "[store]\nsnapshot-retention=-1s\n",
     {"store.snapshot-retention: must be a non-negative duration, got -1s"}},
    {"store.maintenance-interval", "[store]\nmaintenance-interval=0s\n",
     {"store.maintenance-interval: must be a positive duration, got 0s"}},
    {"snapshots.max-file-size", "[snapshots]\nmax-file-size=-1\n",
     {"snapshots.max-file-size: must be 0 (no size limit) or a number of bytes, got -1"}},
    {"snapshots.fsync", "[snapshots]\nfsync=\"always\"\n", {"snapshots.fsync: 'always' is not never, rotate or every-write"}},
    {"outcomes.horizons", "[outcomes]\nhorizons=[\"5min\", \"90ms\", \"5min\"]\n",
     {"outcomes.horizons: '90ms' is not a duration of whole seconds, at least 1s (e.g. \"5min\")",
      "outcomes.horizons: '5min' is listed twice"}},
    {"outcomes.max-gap", "[outcomes]\nmax-gap=500ms\n", {"outcomes.max-gap: must be at least 1s"}},
    {"introspection.port", "[introspection]\nport=70000\n",
     {"introspection.port: must be -1 (off), 0 (ephemeral) or a port up to 65535"}},
    {"introspection.host", "[introspection]\nhost=\"not an address\"\n",
     {"introspection.host: must be an IP address such as 127.0.0.1, got 'not an address'"}},
    {"introspection.max-subscribers", "[introspection]\nmax-subscribers=-1\n",
     {"introspection.max-subscribers: must be between 0 and 100000"}},
    {"introspection.allow-control", "[introspection]\nallow-control=\"yes\"\n",
     {"introspection.allow-control: expected true or false, got \"yes\""}},
    {"introspection.allow-record", "[introspection]\nallow-record=1\n",
     {"introspection.allow-record: expected true or false, got 1"}},
    {"introspection.plaintext-remote-control", "[introspection]\nplaintext-remote-control=\"on\"\n",
     {"introspection.plaintext-remote-control: expected true or false, got \"on\""}},
    {"introspection.tls-cert", "[introspection]\ntls-cert=\"/nonexistent/node.pem\"\n",
     {"introspection.tls-cert: cannot read '/nonexistent/node.pem'",
      "introspection.tls-*: tls-cert, tls-key and tls-ca go together (all three or none)"}},
    {"introspection.tls-key", "[introspection]\ntls-key=42\n",
     {"introspection.tls-key: expected a quoted string, got 42"}},
    {"introspection.tls-ca", "[introspection]\ntls-ca=\"/nonexistent/ca.pem\"\n",
     {"introspection.tls-ca: cannot read '/nonexistent/ca.pem'",
      "introspection.tls-*: tls-cert, tls-key and tls-ca go together (all three or none)"}},
    {"introspection.max-connections", "[introspection]\nmax-connections=0\n",
     {"introspection.max-connections: must be between 1 and 100000"}},
    {"introspection.max-payload", "[introspection]\nmax-payload=65535\n",
     {"introspection.max-payload: must be between 65536 (64 KiB) and 4294967295 bytes"}},
    {"introspection.handshake-timeout", "[introspection]\nhandshake-timeout=0s\n",
     {"introspection.handshake-timeout: must be a positive duration, got 0s"}},
    {"metrics.port", "[metrics]\nport=-2\n", {"metrics.port: must be -1 (off), 0 (ephemeral) or a port up to 65535"}},
    {"metrics.host", "[metrics]\nhost=\"0.0.0.0.0\"\n",
     {"metrics.host: must be an IP address such as 127.0.0.1, got '0.0.0.0.0'"}},
    {"log.level", "[log]\nlevel=\"verbose\"\n", {"log.level: 'verbose' is not debug, info, warn or error"}},
    {"log.tag", "[log]\ntag=[\"a\"]\n", {"log.tag: expected a quoted string, got [\"a\"]"}},
  };
  return cases;
}

std::vector<std::string> problems_of(const std::string& ini) {
  std::istringstream in{ini};
  auto parsed = caf::actor_system_config::parse_config(in);
  if (!parsed)
    return {"not a valid config file: " + caf::to_string(parsed.error())};
  std::vector<problem> problems;
  from_settings(caf::settings{}, *parsed, problems);
  std::vector<std::string> out;
  for (const auto& p : problems)
    out.push_back(to_string(p));
  return out;
}

} // namespace

TEST(ConfigKeys, EveryInvalidValueStopsStartUpWithAMessageNamingItsKey) {
  for (const auto& c : invalid_cases()) {
    SCOPED_TRACE(c.key);
    const auto problems = problems_of(c.ini);
    EXPECT_EQ(problems, c.problems);
    ASSERT_FALSE(problems.empty()) << "an invalid value was accepted silently";
    EXPECT_NE(problems.front().find(c.key), std::string::npos) << "the message does not name the key";
  }
}

TEST(ConfigKeys, KeyWithoutAnInvalidValueCase) {
  std::set<std::string> covered;
  for (const auto& c : invalid_cases())
    covered.insert(c.key);
  for (const auto& spec : keys())
    EXPECT_EQ(covered.count(spec.key), 1u) << spec.key << " has no invalid-value case in config_keys_test.cpp";
  EXPECT_EQ(covered.size(), keys().size()) << "a case names a key that keys() does not have";
}

TEST(ConfigKeys, TheDefaultsAloneAreValid) { EXPECT_EQ(problems_of(""), std::vector<std::string>{}); }

TEST(ConfigKeys, TheHeadlineSkewMayBeAnyRecordOfTheSurface) {
  std::vector<problem> problems;
  std::istringstream in{"[surface]\ntenors=[7, 14.5]\ndeltas=[0.1]\n[skew]\ntenor=14.5\ndelta=0.1\n"};
  auto cfg = from_settings(caf::settings{}, *caf::actor_system_config::parse_config(in), problems);
  EXPECT_EQ(problems, std::vector<problem>{});
  EXPECT_EQ(cfg.surface.tenors, (std::vector<double>{7, 14.5}));
  EXPECT_EQ(cfg.skew.tenor, 14.5);
  EXPECT_EQ(cfg.skew.delta, 0.1);
}

TEST(ConfigKeys, ListsOfNumbersReadLikeTheConfigFile) {
  std::vector<double> out;
  EXPECT_EQ(parse_number_list("7,30,90", out), "");
  EXPECT_EQ(out, (std::vector<double>{7, 30, 90}));
  EXPECT_EQ(parse_number_list("[0.1, 0.25]", out), "");
  EXPECT_EQ(out, (std::vector<double>{0.1, 0.25}));
  EXPECT_EQ(parse_number_list("7,\"x\"", out), "expected a list of numbers such as 7,30,90, got '7,\"x\"'");
}
