// Every Deribit fault of the reliability table, through a whole engine against the loopback simulator over
// real TLS: the engine stays up, the last good readings keep their values and ages and go STALE, the
// supervisor restarts (or does not) within bounds, and the values come back once the fault clears.
#include "e2e/engine_fixture.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <ostream>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

/// What the user sees while the fault lasts.
enum class effect {
  restart,        ///< the fetcher exits with `error`; the supervisor restarts it with backoff
  bad_payload,    ///< a 200 body that does not decode: counted and logged, no restart
  skipped_rows,   ///< every row is refused: the readings without a value do not replace the good ones
  new_reading,    ///< a degraded but valid chain: a new reading replaces the old one, no restart
  refused_tls,    ///< the certificate is refused: no values at all, a clear error
};

/// How the fault is produced.
enum class how { inject, stop_simulator, certificate };

struct fault_case {
  const char* name = "";
  how source = how::inject;
  sim::fault kind = sim::fault::server_error_500;
  effect expected = effect::restart;
  std::vector<std::string> error;   ///< substrings of the supervisor's last_error (restart, refused_tls)
  bool basis_kept = true;           ///< skipped_rows: the basis reading has no value either
  bool skew_kept = true;            ///< skipped_rows: the skew reading has no value either
  std::chrono::seconds retry_after{0};
  std::string certificate;          ///< how::certificate: the simulator's certificate
  /// Fetch cycle period and request timeout. Only the stall needs timeout < interval: a stalled request of
  /// a cycle that the next tick abandoned is not a failure. Elsewhere a generous timeout keeps a slow
  /// (sanitized, loaded) machine from turning into spurious network failures.
  caf::timespan interval = 300ms;
  std::chrono::milliseconds timeout = 2s;
};

void PrintTo(const fault_case& c, std::ostream* os) { *os << c.name; }

constexpr auto min_backoff = 100ms;
constexpr auto rate_limit_min_backoff = 200ms;
constexpr auto max_backoff = 1s;
/// Readings older than this are STALE: several cycles without a good one.
caf::timespan max_age(const fault_case& c) { return std::max(c.interval * 3, caf::timespan{1500ms}); }
constexpr auto bounded_wait = 20s;

class FaultMatrix : public test::engine_fixture<::testing::TestWithParam<fault_case>> {
protected:
  void start_engine(const fault_case& c) {
    auto cfg = engine_config({"BTC"});
    cfg.deribit.interval = c.interval;
    cfg.cache.max_age = max_age(c);
    cfg.deribit.timeout = c.timeout;
    cfg.deribit.max_body = 2 << 20;   // the BTC chain is 435 KB; the oversized and gzip_bomb faults send 3 MiB
    cfg.supervisor.min_backoff = min_backoff;
    cfg.supervisor.rate_limit_min_backoff = rate_limit_min_backoff;
    cfg.supervisor.max_backoff = max_backoff;
    actors::engine_hooks hooks;
    hooks.uniform01 = [] { return 0.5; };   // jitter factor exactly 1: the backoff bounds below are exact
    engine_fixture::start_engine(cfg, std::move(hooks));
  }

  messages::derivatives_view view() {
    messages::derivatives_view out;
    self_->request(engine_->cache, 2s, caf::get_atom::value, std::string{"BTC"})
      .receive([&](const messages::derivatives_view& v) { out = v; },
               [&](const caf::error& e) { ADD_FAILURE() << "cache did not answer: " << sys_.render(e); });
    return out;
  }

  /// Polls (every 50 ms, at most `bounded_wait`) until `done()`.
  bool until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + bounded_wait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done())
        return true;
      self_->receive(caf::after(std::chrono::milliseconds{50}) >> [] {});
    }
    return done();
  }

  static bool has_values(const messages::derivatives_view& v) {
    return v.basis && v.basis->apr_pct && v.skew && v.skew->skew_pct;
  }
};

} // namespace

TEST_P(FaultMatrix, EngineStaysUpKeepsTheLastGoodReadingsAndRecovers) {
  const auto& c = GetParam();

  if (c.expected == effect::refused_tls) {
    start_sim(c.certificate);
    start_engine(c);
    ASSERT_TRUE(until([&] {
      auto s = status();
      for (const auto& e : c.error)
        if (s.last_error.find(e) == std::string::npos)
          return false;
      return s.restarts >= 1;
    })) << status().last_error << "\n" << log();
    auto v = view();
    EXPECT_FALSE(v.basis || v.skew) << "a refused peer produced readings";
    // The operator replaces the certificate: the same engine recovers without a restart of its own.
    const auto p = sim_->port();
    sim_->stop();
    start_sim("server", p);
    ASSERT_TRUE(until([&] { return has_values(view()); })) << log();
    return;
  }

  start_sim("server");
  start_engine(c);
  ASSERT_TRUE(until([&] { return has_values(view()); })) << log();
  // The fault starts right after a cycle's readings have landed: no good cycle may still be on its way then
  // (its book summaries served, its readings not yet in the cache), or it would replace the readings kept below.
  // The chain no longer waits for DVOL, which had widened that window; waiting one cycle (300 ms) still closes it.
  const auto first = view();
  ASSERT_TRUE(until([&] {
    auto v = view();
    return has_values(v) && v.basis->received > first.basis->received && v.skew->received == v.basis->received;
  })) << log();
  const auto before = view();
  const auto status_before = status();
  const auto fetched_before = (*engine_->fetch_counters)[messages::fetch_outcome::bad_payload].load();
  const auto basis_kept_before = engine_->cache_counters->basis_kept_last_good.load();
  const auto skew_kept_before = engine_->cache_counters->skew_kept_last_good.load();
  const auto fault_start = std::chrono::steady_clock::now();

  // The fault lasts until cleared below.
  if (c.source == how::stop_simulator) {
    sim_->stop();
  } else {
    sim::fault_spec spec;
    spec.kind = c.kind;
    spec.count = 100000;
    spec.method = "get_book_summary";
    spec.bytes = 3u << 20;
    if (c.retry_after.count() > 0)
      spec.retry_after = c.retry_after;
    sim_->inject(spec);
  }

  switch (c.expected) {
    case effect::restart:
      ASSERT_TRUE(until([&] {
        auto s = status();
        for (const auto& e : c.error)
          if (s.last_error.find(e) == std::string::npos)
            return false;
        return s.restarts >= status_before.restarts + 2;
      })) << status().last_error << "\n" << log();
      break;
    case effect::bad_payload: {
      const auto& bad_payloads = (*engine_->fetch_counters)[messages::fetch_outcome::bad_payload];
      ASSERT_TRUE(until([&] { return bad_payloads > fetched_before + 1; })) << log();
      EXPECT_NE(log().find("ERROR bad payload on /api/v2/public/get_book_summary_by_currency?currency=BTC"),
                std::string::npos)
        << log();
      break;
    }
    case effect::skipped_rows:
      ASSERT_TRUE(until([&] {
        return (!c.basis_kept || engine_->cache_counters->basis_kept_last_good > basis_kept_before + 1)
               && (!c.skew_kept || engine_->cache_counters->skew_kept_last_good > skew_kept_before + 1);
      })) << log();
      break;
    case effect::new_reading:
      ASSERT_TRUE(until([&] {
        auto v = view();
        return v.skew && v.skew->skew_pct && !v.skew->bracketed;
      })) << log();
      break;
    case effect::refused_tls:
      break;
  }

  // The engine is up and answers; what it had is still there, with its age running on.
  const auto during = view();
  const auto s = status();
  if (c.expected == effect::restart) {
    const auto elapsed = std::chrono::steady_clock::now() - fault_start;
    const auto restarts = static_cast<int64_t>(s.restarts) - static_cast<int64_t>(status_before.restarts);
    // Each restart waits at least the minimum backoff (Retry-After when given); never faster.
    auto shortest = c.retry_after.count() > 0 ? caf::timespan{c.retry_after}
                    : s.last_error.rfind("rate_limited", 0) == 0 ? caf::timespan{rate_limit_min_backoff}
                                                                  : caf::timespan{min_backoff};
    EXPECT_LE(restarts, static_cast<int64_t>(elapsed / shortest) + 1) << "restarts faster than the backoff allows";
    if (s.next_attempt) {
      EXPECT_LE(*s.next_attempt - caf::make_timestamp(), caf::timespan{max_backoff}) << "backoff over the maximum";
    }
  } else {
    EXPECT_EQ(s.restarts, status_before.restarts) << "a payload fault restarted the fetcher: " << s.last_error;
  }
  ASSERT_TRUE(during.basis && during.skew);
  if (c.expected != effect::new_reading) {
    if (c.basis_kept) {
      EXPECT_EQ(*during.basis->apr_pct, *before.basis->apr_pct);
      EXPECT_EQ(during.basis->received, before.basis->received) << "the basis reading was replaced";
      EXPECT_GT(during.basis_age, before.basis_age);
    }
    if (c.skew_kept) {
      EXPECT_EQ(*during.skew->skew_pct, *before.skew->skew_pct);
      EXPECT_EQ(during.skew->received, before.skew->received) << "the skew reading was replaced";
      EXPECT_GT(during.skew_age, before.skew_age);
    }
    // Past cache.max-age the kept readings say STALE, with their value and last state.
    ASSERT_TRUE(until([&] {
      auto v = view();
      return (!c.basis_kept || v.basis_state == quant::basis_state::stale)
             && (!c.skew_kept || v.skew_state == quant::skew_state::stale);
    })) << log();
    const auto stale = view();
    if (c.basis_kept) {
      EXPECT_EQ(*stale.basis->apr_pct, *before.basis->apr_pct);
      EXPECT_EQ(stale.basis_last_state, before.basis_state);
      EXPECT_GT(stale.basis_age, max_age(c));
    } else {
      EXPECT_NE(stale.basis_state, quant::basis_state::stale) << "fresh readings kept arriving";
    }
    if (c.skew_kept) {
      EXPECT_EQ(*stale.skew->skew_pct, *before.skew->skew_pct);
      EXPECT_EQ(stale.skew_last_state, before.skew_state);
      EXPECT_GT(stale.skew_age, max_age(c));
    } else {
      EXPECT_NE(stale.skew_state, quant::skew_state::stale) << "fresh readings kept arriving";
    }
  } else {
    EXPECT_NE(*during.skew->skew_pct, *before.skew->skew_pct);
    EXPECT_EQ(during.skew->expiries.size(), 1u);
  }

  // The fault clears: newer readings with the same values as before, not stale.
  if (c.source == how::stop_simulator) {
    const auto p = sim_->port();
    start_sim("server", p);
  } else {
    sim_->clear_faults();
  }
  ASSERT_TRUE(until([&] {
    auto v = view();
    return has_values(v) && v.basis->received > during.basis->received && v.skew->received > during.skew->received
           && v.skew->bracketed == before.skew->bracketed;
  })) << log();
  const auto after = view();
  EXPECT_EQ(*after.basis->apr_pct, *before.basis->apr_pct);
  EXPECT_EQ(*after.skew->skew_pct, *before.skew->skew_pct);
  EXPECT_EQ(after.basis_state, before.basis_state);
  EXPECT_EQ(after.skew_state, before.skew_state);
  EXPECT_TRUE(until([&] { return status().consecutive_failures == 0 && !status().degraded; }));
}

namespace {

fault_case restart(const char* name, sim::fault kind, std::vector<std::string> error,
                   std::chrono::seconds retry_after = 0s) {
  fault_case c;
  c.name = name;
  c.kind = kind;
  c.error = std::move(error);
  c.retry_after = retry_after;
  return c;
}

fault_case payload(const char* name, sim::fault kind, effect e, bool basis_kept = true, bool skew_kept = true) {
  fault_case c;
  c.name = name;
  c.kind = kind;
  c.expected = e;
  c.basis_kept = basis_kept;
  c.skew_kept = skew_kept;
  return c;
}

fault_case tls(const char* name, std::string certificate) {
  fault_case c;
  c.name = name;
  c.source = how::certificate;
  c.expected = effect::refused_tls;
  c.certificate = std::move(certificate);
  c.error = {"network_failure", "tls", "certificate verify failed"};
  return c;
}

fault_case stall() {
  auto c = restart("StallPastTheTimeout", sim::fault::stall, {"network_failure", "timeout"});
  c.interval = 1500ms;
  c.timeout = 1s;
  return c;
}

fault_case refused() {
  fault_case c;
  c.name = "ConnectionRefused";
  c.source = how::stop_simulator;
  c.error = {"network_failure", "connect"};
  return c;
}

} // namespace

INSTANTIATE_TEST_SUITE_P(
  Deribit, FaultMatrix,
  ::testing::Values(
    restart("Http429", sim::fault::rate_limit_429, {"rate_limited", "HTTP 429"}),
    restart("Http429WithRetryAfter", sim::fault::rate_limit_429_retry_after, {"rate_limited", "HTTP 429"}, 1s),
    restart("Rpc10028", sim::fault::rpc_10028, {"rate_limited", "JSON-RPC 10028 too_many_requests"}),
    restart("Rpc10066", sim::fault::rpc_10066, {"rate_limited", "JSON-RPC 10066 too_many_concurrent_requests"}),
    restart("Maintenance11051With503", sim::fault::maintenance_11051_503,
            {"unavailable", "HTTP 503", "JSON-RPC 11051 system_maintenance"}),
    restart("Http500", sim::fault::server_error_500, {"unavailable", "HTTP 500"}),
    refused(),
    restart("ResetBeforeTheAnswer", sim::fault::reset, {"network_failure", "reset"}),
    restart("ResetMidBody", sim::fault::reset_mid_body, {"network_failure"}),
    stall(),
    restart("TruncatedBody", sim::fault::truncated_body, {"network_failure", "truncated"}),
    restart("BodyOverTheSizeCap", sim::fault::oversized_body, {"network_failure", "body_too_large"}),
    restart("GzipBodyInflatingPastTheSizeCap", sim::fault::gzip_bomb,
            {"network_failure", "body_too_large", "gzip: decompresses past 2097152 bytes"}),
    restart("UnsupportedContentEncoding", sim::fault::unsupported_encoding,
            {"network_failure", "protocol", "unsupported Content-Encoding: br"}),
    payload("InvalidJson", sim::fault::malformed_json, effect::bad_payload),
    payload("NanMarkIv", sim::fault::nan_mark_iv, effect::bad_payload),
    payload("ResultOfTheWrongType", sim::fault::result_not_array, effect::bad_payload),
    payload("RowFieldsOfTheWrongType", sim::fault::wrong_types, effect::skipped_rows),
    payload("NullMarkIv", sim::fault::null_mark_iv, effect::skipped_rows, false, true),
    payload("NegativeMarkIv", sim::fault::negative_mark_iv, effect::skipped_rows, false, true),
    payload("NegativePrices", sim::fault::negative_prices, effect::skipped_rows),
    payload("EmptyChain", sim::fault::empty_chain, effect::skipped_rows),
    payload("ExpiredInstruments", sim::fault::expired_instruments, effect::skipped_rows),
    payload("ChainWithOneExpiry", sim::fault::one_expiry, effect::new_reading, false, false),
    tls("CertificateForAnotherHost", "wrong_host"),
    tls("UntrustedCertificate", "untrusted")),
  [](const ::testing::TestParamInfo<fault_case>& param_info) { return std::string{param_info.param.name}; });
