// HTTPS client against the loopback Deribit simulator: bodies, keep-alive, faults, TLS failures, cancellation.
#include "net_fixture.hpp"

#include "support/read_file.hpp"

#include <sys/resource.h>

using namespace std::chrono_literals;
using derivcache::net::failure;
using derivcache::sim::fault;
using derivcache::test::book_summary_btc_option;

namespace {

const std::string summary_method = "public/get_book_summary_by_currency";

/// The process's peak resident set so far (KiB).
long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

} // namespace

class HttpsClient : public derivcache::test::NetFixture {
protected:
  /// Opens a keep-alive connection with one request, then GETs again while `resets` requests are reset.
  derivcache::net::http_result get_after_resets(int resets) {
    start_sim_and_client();
    EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);
    sim_->inject(fault::reset, resets);
    return get(book_summary_btc_option);
  }
};

TEST_F(HttpsClient, ServesTheRealChainByteForByte) {
  start_sim_and_client();
  auto r = get(book_summary_btc_option);
  ASSERT_EQ(r.error, failure::none) << r.message;
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.body,
            derivcache::test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} + "/deribit_book_summary_option_btc_full_2026-03-13.json"));
  EXPECT_FALSE(r.response.retry_after);
  EXPECT_GT(r.latency.count(), 0);
}

TEST_F(HttpsClient, HostNameGetsSniAndVerifiesDnsName) {
  start_sim();
  auto o = options();
  o.host = "localhost";
  make_client(o);
  auto r = get("/api/v2/public/get_index_price?index_name=btc_usd");
  ASSERT_EQ(r.error, failure::none) << r.message;
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_NE(r.response.body.find("71048.7"), std::string::npos) << r.response.body;
}

TEST_F(HttpsClient, KeepAliveReusesOneConnection) {
  start_sim_and_client();
  auto a = get_async(book_summary_btc_option);
  auto b = get_async("/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=future");
  ASSERT_EQ(a.wait_for(derivcache::test::bounded_wait), std::future_status::ready);
  ASSERT_EQ(b.wait_for(derivcache::test::bounded_wait), std::future_status::ready);
  EXPECT_EQ(a.get().response.status, 200u);
  EXPECT_EQ(b.get().response.status, 200u);
  EXPECT_EQ(sim_->requests_served(), 2u);
  EXPECT_EQ(sim_->connections_accepted(), 1u);
}

TEST_F(HttpsClient, RateLimit429WithoutRetryAfterDropsTheConnectionAndSendsTheNextOnAFreshOne) {
  auto res = answer_after(fault::rate_limit_429, 429);
  ASSERT_FALSE(res.retry_after);
  EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);
  EXPECT_EQ(sim_->connections_accepted(), 2u);
}

TEST_F(HttpsClient, NothingIsSentUntilARetryAfterHasPassed) {
  start_sim_and_client();
  derivcache::sim::fault_spec spec;
  spec.kind = fault::rate_limit_429_retry_after;
  spec.retry_after = 30s;
  sim_->inject(spec);
  auto r = get(book_summary_btc_option);
  ASSERT_EQ(r.error, failure::none) << r.message;
  EXPECT_EQ(r.response.status, 429u);
  ASSERT_TRUE(r.response.retry_after);
  EXPECT_EQ(*r.response.retry_after, 30s);
  auto next = get(book_summary_btc_option);
  EXPECT_EQ(next.error, failure::rate_limited) << next.message;
  EXPECT_EQ(next.message, "not sent: 127.0.0.1 asked to wait 30 s more (Retry-After)");
  ASSERT_TRUE(next.response.retry_after);
  EXPECT_EQ(*next.response.retry_after, 30s);   // rounded up: under a second has passed
  EXPECT_EQ(sim_->requests_served(), 1u);
}

TEST_F(HttpsClient, ARateLimitAnswerFailsEveryQueuedRequestUnsent) {
  start_sim_and_client();
  sim_->inject(fault::rate_limit_429);
  // All four are queued before the first has even finished its TLS handshake.
  std::vector<std::future<derivcache::net::http_result>> results;
  for (int i = 0; i < 4; ++i)
    results.push_back(get_async(book_summary_btc_option));
  for (auto& f : results)
    ASSERT_EQ(f.wait_for(derivcache::test::bounded_wait), std::future_status::ready);
  auto first = results[0].get();
  EXPECT_EQ(first.response.status, 429u) << first.message;
  for (std::size_t i = 1; i < results.size(); ++i) {
    auto r = results[i].get();
    EXPECT_EQ(r.error, failure::cancelled) << i;
    EXPECT_EQ(r.message, "cancelled: not sent, 127.0.0.1 answered an earlier request with a rate limit") << i;
  }
  EXPECT_EQ(sim_->requests_served(), 1u);
  // Without a Retry-After the caller decides when to ask again; the client does not hold it back.
  EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);
}

TEST_F(HttpsClient, TheRateLimitRuleIsTheCallers) {
  start_sim();
  auto o = options();
  o.is_rate_limit = [](const derivcache::net::http_response& r) { return r.status == 503; };
  make_client(o);
  sim_->inject(fault::maintenance_11051_503);
  auto first = get_async(book_summary_btc_option);
  auto second = get_async(book_summary_btc_option);
  ASSERT_EQ(second.wait_for(derivcache::test::bounded_wait), std::future_status::ready);
  EXPECT_EQ(first.get().response.status, 503u);
  EXPECT_EQ(second.get().error, failure::cancelled);
  EXPECT_EQ(sim_->requests_served(), 1u);
}

TEST_F(HttpsClient, Rpc10028BodyAndConnectionClose) {
  auto res = answer_after(fault::rpc_10028, 400);
  EXPECT_NE(res.body.find("\"code\":10028"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("too_many_requests"), std::string::npos) << res.body;
  EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);
  EXPECT_EQ(sim_->connections_accepted(), 2u);  // the server said Connection: close
}

TEST_F(HttpsClient, Maintenance11051With503) {
  auto res = answer_after(fault::maintenance_11051_503, 503, "/api/v2/public/get_index_price?index_name=btc_usd");
  EXPECT_NE(res.body.find("\"code\":11051"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("system_maintenance"), std::string::npos);
}

TEST_F(HttpsClient, ServerError500) {
  start_sim_and_client();
  sim_->inject(fault::server_error_500);
  EXPECT_EQ(get(book_summary_btc_option).response.status, 500u);
  EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);
  EXPECT_EQ(sim_->connections_accepted(), 1u);
}

TEST_F(HttpsClient, StallTimesOutWithinTheDeadline) {
  start_sim();
  make_client(options(300ms));
  sim_->inject(fault::stall);
  auto begin = std::chrono::steady_clock::now();
  auto r = get(book_summary_btc_option);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(r.error, failure::timeout) << r.message;
  EXPECT_NE(r.message.find("read"), std::string::npos) << r.message;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);  // a fresh connection afterwards
}

TEST_F(HttpsClient, RequestsQueuedBehindAStallTimeOutWithTheirOwnDeadline) {
  start_sim();
  make_client(options(300ms));
  sim_->inject(fault::stall);   // only the first request stalls
  auto first = get_async(book_summary_btc_option);
  auto second = get_async(book_summary_btc_option);
  auto third = get_async(book_summary_btc_option);
  auto result = [](std::future<derivcache::net::http_result>& f) {
    if (f.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no result within 10 s";
      return derivcache::net::http_result{};
    }
    return f.get();
  };
  auto r1 = result(first), r2 = result(second), r3 = result(third);
  EXPECT_EQ(r1.error, failure::timeout) << r1.message;
  EXPECT_NE(r1.message.find("read"), std::string::npos) << r1.message;
  // Their time ran out while they waited: they fail without being sent, instead of piling up.
  for (const auto& r : {r2, r3}) {
    EXPECT_EQ(r.error, failure::timeout) << r.message;
    EXPECT_EQ(r.message, "queued: timed out after 300 ms behind an earlier request");
  }
  EXPECT_EQ(sim_->requests_served(), 1u);
  EXPECT_EQ(get(book_summary_btc_option).response.status, 200u);
}

TEST_F(HttpsClient, ResetOnAFreshConnectionIsReset) {
  start_sim_and_client();
  auto r = get_after(fault::reset);
  EXPECT_EQ(r.error, failure::reset) << r.message;
  EXPECT_EQ(sim_->method_count(summary_method), 1u);  // no retry: the connection was new
}

TEST_F(HttpsClient, ResetOnAReusedConnectionIsRetriedOnce) {
  auto r = get_after_resets(2);
  EXPECT_EQ(r.error, failure::reset) << r.message;
  EXPECT_EQ(sim_->method_count(summary_method), 3u);  // 1 + 2 attempts
  EXPECT_EQ(sim_->connections_accepted(), 2u);
}

TEST_F(HttpsClient, ResetOnAReusedConnectionRecoversOnTheRetry) {
  auto r = get_after_resets(1);
  ASSERT_EQ(r.error, failure::none) << r.message;
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(sim_->connections_accepted(), 2u);
}

TEST_F(HttpsClient, TruncatedBodyIsTruncated) {
  start_sim_and_client();
  auto r = get_after(fault::truncated_body);
  EXPECT_EQ(r.error, failure::truncated) << r.message;
}

TEST_F(HttpsClient, MalformedJsonArrivesAsA200Body) {
  auto res = answer_after(fault::malformed_json, 200, "/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=future");
  ASSERT_FALSE(res.body.empty());
  EXPECT_NE(res.body.substr(0, 20).find("jsonrpc"), std::string::npos);
  EXPECT_NE(res.body.back(), '}');
}

TEST_F(HttpsClient, BodyOverMaxBodyIsRejected) {
  start_sim();
  auto o = options();
  o.max_body = 64 * 1024;
  make_client(o);
  auto r = get(book_summary_btc_option);
  EXPECT_EQ(r.error, failure::body_too_large) << r.message;
  EXPECT_EQ(get("/api/v2/public/get_index_price?index_name=btc_usd").response.status, 200u);
}

TEST_F(HttpsClient, GzipIsAskedForAndInflatedByteForByte) {
  start_sim();
  auto o = options();
  o.gzip = true;
  make_client(o);
  auto r = get(book_summary_btc_option);
  ASSERT_EQ(r.error, failure::none) << r.message;
  const auto chain =
    derivcache::test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} + "/deribit_book_summary_option_btc_full_2026-03-13.json");
  EXPECT_EQ(r.response.body, chain);
  EXPECT_LT(r.response.wire_bytes * 8, chain.size()) << r.response.wire_bytes;
  EXPECT_EQ(sim_->gzip_requests(), 1u);
  EXPECT_TRUE(sim_->request_log().back().gzip);
}

TEST_F(HttpsClient, WithoutGzipNothingIsAskedForAndTheBytesComePlain) {
  start_sim_and_client();
  auto r = get(book_summary_btc_option);
  ASSERT_EQ(r.error, failure::none) << r.message;
  EXPECT_EQ(r.response.wire_bytes, r.response.body.size());
  EXPECT_EQ(sim_->gzip_requests(), 0u);
}

TEST_F(HttpsClient, AGzipBombIsBodyTooLargeWithoutInflatingTheRest) {
  start_sim();
  auto o = options();
  o.max_body = 1u << 20;
  make_client(o);
  derivcache::sim::fault_spec spec;
  spec.kind = fault::gzip_bomb;
  spec.bytes = std::size_t{256} << 20;   // 256 MiB once inflated, about 256 KB on the wire
  sim_->inject(spec);
  const auto peak_before = peak_rss_kib();
  auto r = get(book_summary_btc_option);
  EXPECT_EQ(r.error, failure::body_too_large) << r.message;
  EXPECT_EQ(r.message, "read: gzip: decompresses past 1048576 bytes");
  // This test runs in a process of its own: inflating the bomb whole would raise the peak by 256 MiB.
  EXPECT_LT(peak_rss_kib() - peak_before, 64 * 1024);
  EXPECT_EQ(get("/api/v2/public/get_index_price?index_name=btc_usd").response.status, 200u);
}

TEST_F(HttpsClient, AnEncodingOtherThanGzipIsRefusedByName) {
  start_sim_and_client();
  sim_->inject(fault::unsupported_encoding);
  auto r = get(book_summary_btc_option);
  EXPECT_EQ(r.error, failure::protocol);
  EXPECT_EQ(r.message, "read: unsupported Content-Encoding: br");
}

TEST_F(HttpsClient, TheSimulatorsLinkModelAddsItsRoundTripsAndPacesTheBytes) {
  derivcache::sim::simulator_options opts;
  opts.cert_file = derivcache::test::cert_path("server.pem");
  opts.key_file = derivcache::test::cert_path("server.key");
  opts.link_rtt = 40ms;
  opts.link_mbps = 20;
  launch_sim(opts);
  make_client(options());
  auto first = get(book_summary_btc_option);
  ASSERT_EQ(first.error, failure::none) << first.message;
  const auto transfer = std::chrono::microseconds{static_cast<long>(first.response.body.size() * 8 / 20.0)};
  // A new connection: two round trips before the handshake is answered, one before the answer, then 435 KB
  // at 20 Mbit/s (174 ms). Lower bounds only: a loaded machine may add to them, never take away.
  EXPECT_GE(first.latency, 3 * 40ms + transfer);
  auto second = get(book_summary_btc_option);   // the same keep-alive connection: one round trip
  ASSERT_EQ(second.error, failure::none) << second.message;
  EXPECT_GE(second.latency, 40ms + transfer);
  EXPECT_EQ(second.response.body, first.response.body);
  EXPECT_EQ(sim_->connections_accepted(), 1u);
}

TEST_F(HttpsClient, WrongHostCertificateFailsVerification) {
  start_sim("wrong_host.pem", "wrong_host.key");
  make_client(options());
  auto r = get(book_summary_btc_option);
  EXPECT_EQ(r.error, failure::tls) << r.message;
  EXPECT_NE(r.message.find("handshake"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("verif"), std::string::npos) << r.message;
  EXPECT_EQ(sim_->requests_served(), 0u);
}

TEST_F(HttpsClient, UntrustedCertificateFails) {
  start_sim("untrusted.pem", "untrusted.key");
  make_client(options());
  auto r = get(book_summary_btc_option);
  EXPECT_EQ(r.error, failure::tls) << r.message;
  EXPECT_NE(r.message.find("certificate verify failed"), std::string::npos) << r.message;
}

TEST_F(HttpsClient, WithoutTheTestCaTheSimulatorIsNotTrusted) {
  start_sim();
  auto o = options();
  o.ca_file.clear();
  make_client(o);
  EXPECT_EQ(get(book_summary_btc_option).error, failure::tls);
}

TEST_F(HttpsClient, UnreadableCaFileIsAnErrorNamingThePath) {
  boost::asio::io_context ioc;
  derivcache::net::https_options o;
  o.ca_file = derivcache::test::cert_path("does-not-exist.pem");
  std::string error;
  auto client = derivcache::net::make_https_client(ioc, o, error);
  EXPECT_FALSE(client);
  EXPECT_NE(error.find(o.ca_file), std::string::npos) << error;
}

TEST_F(HttpsClient, CaFileWithoutCertificatesIsAnError) {
  boost::asio::io_context ioc;
  derivcache::net::https_options o;
  o.ca_file = std::string{DERIVCACHE_TEST_DATA_DIR} + "/README.md";
  std::string error;
  EXPECT_FALSE(derivcache::net::make_https_client(ioc, o, error));
  EXPECT_NE(error.find("README.md"), std::string::npos) << error;
}

TEST_F(HttpsClient, ShutdownCancelsStalledAndQueuedRequests) {
  start_sim();
  make_client(options(10s));
  sim_->inject(fault::stall);
  auto stalled = get_async(book_summary_btc_option);
  auto queued = get_async(book_summary_btc_option);
  // Wait (bounded, no sleep) until the server holds the stalled request.
  auto until = std::chrono::steady_clock::now() + derivcache::test::bounded_wait;
  while (sim_->requests_served() == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  ASSERT_EQ(sim_->requests_served(), 1u);
  client_->shutdown();
  ASSERT_EQ(stalled.wait_for(derivcache::test::bounded_wait), std::future_status::ready);
  ASSERT_EQ(queued.wait_for(derivcache::test::bounded_wait), std::future_status::ready);
  EXPECT_EQ(stalled.get().error, failure::cancelled);
  EXPECT_EQ(queued.get().error, failure::cancelled);
  auto after = get(book_summary_btc_option);
  EXPECT_EQ(after.error, failure::cancelled);
  work_.reset();
  io_thread_.join();  // every handler has run by now, stale completions included
  EXPECT_EQ(handler_calls_.load(), 3);
  EXPECT_EQ(sim_->requests_served(), 1u);
}

TEST_F(HttpsClient, ConnectionRefusedIsConnect) {
  start_sim();
  sim_->stop();  // the port is now closed
  make_client(options());
  auto r = get(book_summary_btc_option);
  EXPECT_EQ(r.error, failure::connect) << r.message;
  EXPECT_NE(r.message.find("connect"), std::string::npos) << r.message;
}

TEST(HttpsFailure, ToStringNamesEveryKind) {
  EXPECT_EQ(derivcache::net::to_string(failure::body_too_large), "body_too_large");
  EXPECT_EQ(derivcache::net::to_string(failure::cancelled), "cancelled");
  EXPECT_EQ(derivcache::net::to_string(failure::tls), "tls");
  EXPECT_EQ(derivcache::net::to_string(failure::rate_limited), "rate_limited");
}
