// The WSS client against the Binance simulator over real TLS on 127.0.0.1: frames, batching, pings,
// every way a connection ends, and exactly one on_close.
#include "ws_fixture.hpp"

#include <boost/json.hpp>

using namespace std::chrono_literals;
using derivcache::net::failure;
using derivcache::sim::binance_fault;
using derivcache::sim::binance_fault_spec;

namespace {

const char* const btc_streams = "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker";

boost::json::object payload_of(const std::string& frame) {
  boost::system::error_code ec;
  auto v = boost::json::parse(frame, ec);
  EXPECT_FALSE(ec) << frame.substr(0, 200);
  if (ec || !v.is_object() || !v.as_object().contains("data"))
    return {};
  return v.at("data").as_object();
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

} // namespace

class WssClient : public derivcache::test::WsFixture {
protected:
  /// Serves certificate `<name>.pem`, connects, expects a TLS failure and returns its message.
  std::string tls_failure_with(const std::string& name) {
    derivcache::sim::binance_simulator_options o;
    o.cert_file = derivcache::test::cert_path(name + ".pem");
    o.key_file = derivcache::test::cert_path(name + ".key");
    start_sim(o);
    connect(btc_streams);
    return closed_with(failure::tls, "tls handshake: ");
  }

  /// Waits for on_close and anything queued after it; expects exactly one, with `why`.
  void expect_one_close(failure why) {
    EXPECT_TRUE(rec_->wait_closed());
    drain();
    rec_->locked([&] {
      EXPECT_EQ(rec_->closes, 1);
      EXPECT_EQ(rec_->why, why);
    });
  }

  /// Waits for on_close, expects `why` and a message starting with `prefix`, returns the message.
  std::string closed_with(failure why, const std::string& prefix) {
    EXPECT_TRUE(rec_->wait_closed());
    conn_.reset();
    return rec_->locked([&] {
      EXPECT_EQ(rec_->why, why);
      EXPECT_TRUE(starts_with(rec_->message, prefix)) << rec_->message;
      return rec_->message;
    });
  }
};

TEST_F(WssClient, ReceivesABoundedSyntheticStreamInOrderAndComplete) {
  start_sim(bounded(300, true));
  connect(btc_streams);
  ASSERT_TRUE(rec_->wait_closed());
  rec_->locked([&] {
    EXPECT_EQ(rec_->opens, 1);
    ASSERT_EQ(rec_->frames.size(), 300u);
    EXPECT_EQ(rec_->why, failure::reset);
    EXPECT_EQ(rec_->message, "read: closed by the server (code 1000)");
    std::int64_t last_agg = 0, last_update = 0, last_trade_id = 0;
    for (std::size_t i = 0; i < rec_->frames.size(); ++i) {
      auto data = payload_of(rec_->frames[i]);
      if (i % 2 == 0) {
        ASSERT_EQ(data.at("e").as_string(), "aggTrade") << i;
        EXPECT_GT(data.at("a").as_int64(), last_agg);
        EXPECT_GT(data.at("f").as_int64(), last_trade_id);
        EXPECT_GE(data.at("l").as_int64(), data.at("f").as_int64());
        last_agg = data.at("a").as_int64();
        last_trade_id = data.at("l").as_int64();
      } else {
        ASSERT_TRUE(data.contains("u")) << i;
        EXPECT_GT(data.at("u").as_int64(), last_update);
        last_update = data.at("u").as_int64();
      }
    }
  });
  conn_.reset();  // already closed: nothing to close in TearDown
  EXPECT_EQ(sim_->counters().data_frames(), 300u);
}

TEST_F(WssClient, BatchesFramesAlreadyBufferedUnderAFastStream) {
  start_sim(bounded(3000));
  auto o = options(btc_streams);
  o.max_batch = 64;
  connect(o);
  ASSERT_TRUE(rec_->wait_frames(3000));
  rec_->locked([&] {
    EXPECT_EQ(rec_->frames.size(), 3000u);
    std::size_t largest = 0;
    for (auto n : rec_->batch_sizes) {
      EXPECT_GE(n, 1u);
      EXPECT_LE(n, 64u);
      largest = std::max(largest, n);
    }
    EXPECT_GT(largest, 1u);
    EXPECT_LT(rec_->batch_sizes.size(), rec_->frames.size());
  });
}

TEST_F(WssClient, ServerPingsReachOnPingAndTheConnectionSurvives) {
  auto o = bounded(0);
  o.rate = 200;
  o.ping_interval = 30ms;
  start_sim(o);
  connect(btc_streams);
  ASSERT_TRUE(rec_->wait([&] { return rec_->pings >= 3; }));
  auto seen = rec_->locked([&] { return rec_->frames.size(); });
  ASSERT_TRUE(rec_->wait_frames(seen + 5));
  ASSERT_TRUE(rec_->eventually([&] { return sim_->counters().pongs >= 3; }));
  rec_->locked([&] { EXPECT_EQ(rec_->closes, 0) << rec_->message; });
}

TEST_F(WssClient, DropIsAResetReportedOnce) {
  start_sim();
  sim_->inject(fault_after(binance_fault::drop, 10));
  connect(btc_streams);
  ASSERT_TRUE(rec_->wait_closed());
  conn_->close();
  drain();
  rec_->locked([&] {
    EXPECT_EQ(rec_->closes, 1);
    EXPECT_EQ(rec_->why, failure::reset);
    EXPECT_TRUE(starts_with(rec_->message, "read: ")) << rec_->message;
    // Frames still in the kernel when the reset arrives are lost with it.
    EXPECT_LE(rec_->frames.size(), 10u);
    EXPECT_EQ(rec_->events.back(), "close");
  });
  conn_.reset();
}

TEST_F(WssClient, UpgradeNeverAnsweredTimesOutWithinTheHandshakeDeadline) {
  start_sim();
  sim_->inject(binance_fault::handshake_never);
  auto o = options(btc_streams);
  o.handshake_timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  connect(o);
  ASSERT_TRUE(rec_->wait_closed());
  rec_->locked([&] {
    EXPECT_EQ(rec_->why, failure::timeout);
    EXPECT_EQ(rec_->message, "ws handshake: timed out after 300 ms");
    EXPECT_EQ(rec_->opens, 0);
    auto took = rec_->closed_at - started;
    EXPECT_GE(took, 290ms);
    EXPECT_LT(took, 3s);
  });
  EXPECT_EQ(sim_->counters().connections, 1u);
  EXPECT_EQ(sim_->counters().handshakes, 0u);
  conn_.reset();
}

TEST_F(WssClient, WrongHostCertificateIsATlsFailure) {
  tls_failure_with("wrong_host");
  EXPECT_EQ(sim_->counters().handshakes, 0u);
}

TEST_F(WssClient, UntrustedCertificateIsATlsFailure) {
  auto message = tls_failure_with("untrusted");
  EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
}

TEST_F(WssClient, OversizedFrameIsSkippedReportedInOrderAndTheStreamGoesOn) {
  start_sim(bounded(20));
  binance_fault_spec big;
  big.kind = binance_fault::oversized;
  big.after = 5;
  big.bytes = 256u << 10;
  sim_->inject(big);
  auto o = options(btc_streams);
  o.max_frame = 64u << 10;
  connect(o);
  ASSERT_TRUE(rec_->wait_frames(20));
  rec_->locked([&] {
    ASSERT_EQ(rec_->oversized.size(), 1u);
    EXPECT_EQ(rec_->oversized[0], 256u << 10);
    EXPECT_EQ(rec_->frames_before_oversized, 5u);
    EXPECT_EQ(rec_->frames.size(), 20u);
    EXPECT_EQ(rec_->closes, 0);
    for (const auto& f : rec_->frames)
      EXPECT_LT(f.size(), 1000u);
  });
  EXPECT_EQ(sim_->counters().oversized, 1u);
}

TEST_F(WssClient, FrameBeyondTheSkipLimitClosesWithBodyTooLarge) {
  start_sim();
  binance_fault_spec big;
  big.kind = binance_fault::oversized;  // default 2 MiB
  big.after = 3;
  sim_->inject(big);
  auto o = options(btc_streams);
  o.max_frame = 1024;  // skip limit 256 KiB
  connect(o);
  ASSERT_TRUE(rec_->wait_closed());
  rec_->locked([&] {
    EXPECT_EQ(rec_->why, failure::body_too_large);
    EXPECT_EQ(rec_->message, "read: message over 262144 bytes");
    EXPECT_EQ(rec_->frames.size(), 3u);
  });
  conn_.reset();
}

TEST_F(WssClient, MalformedFrameIsDeliveredAsAFrame) {
  start_sim(bounded(6));
  sim_->inject(fault_after(binance_fault::malformed, 3));
  connect(btc_streams);
  ASSERT_TRUE(rec_->wait_frames(7));
  rec_->locked([&] {
    ASSERT_EQ(rec_->frames.size(), 7u);
    boost::system::error_code ec;
    boost::json::parse(rec_->frames[3], ec);
    EXPECT_TRUE(ec) << rec_->frames[3];
    EXPECT_EQ(rec_->closes, 0);
  });
  EXPECT_EQ(sim_->counters().malformed, 1u);
}

TEST_F(WssClient, ServerShutdownEventArrivesBeforeTheClose) {
  start_sim();
  sim_->inject(fault_after(binance_fault::server_shutdown, 5));
  connect(btc_streams);
  ASSERT_TRUE(rec_->wait_closed());
  rec_->locked([&] {
    ASSERT_GE(rec_->frames.size(), 6u);
    EXPECT_EQ(rec_->frames.size(), 6u);
    const auto& last = rec_->frames.back();
    EXPECT_EQ(last.rfind(R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":)", 0), 0u) << last;
    EXPECT_EQ(rec_->why, failure::reset);
    EXPECT_EQ(rec_->message, "read: closed by the server (code 1001)");
    EXPECT_EQ(rec_->events.back(), "close");
  });
  EXPECT_EQ(sim_->counters().server_shutdowns, 1u);
  conn_.reset();
}

TEST_F(WssClient, CloseReportsCancelledExactlyOnce) {
  start_sim();
  connect(btc_streams);
  ASSERT_TRUE(rec_->wait_frames(10));
  conn_->close();
  conn_->close();
  expect_one_close(failure::cancelled);
  rec_->locked([&] {
    EXPECT_EQ(rec_->events.back(), "close");
  });
  conn_.reset();
}

TEST_F(WssClient, CloseBeforeTheHandshakeEndsIsCancelled) {
  start_sim();
  sim_->inject(binance_fault::handshake_never);
  connect(btc_streams);
  ASSERT_TRUE(rec_->eventually([&] { return sim_->counters().connections >= 1; }));
  conn_->close();
  expect_one_close(failure::cancelled);
  rec_->locked([&] {
    EXPECT_EQ(rec_->opens, 0);
  });
  conn_.reset();
}

TEST_F(WssClient, RefusedUpgradeIsAProtocolFailure) {
  start_sim();
  connect("/stream?streams=dogeusdt@aggTrade");
  closed_with(failure::protocol, "ws handshake: ");
}

TEST_F(WssClient, NothingListeningIsAConnectFailure) {
  start_sim();
  auto o = options(btc_streams);
  sim_->stop();  // the port is free now
  connect(o);
  closed_with(failure::connect, "connect: ");
}

TEST_F(WssClient, UnreadableCaFileIsAnErrorNamingThePath) {
  auto o = options(btc_streams);
  o.ca_file = "/nonexistent/derivcache-ca.pem";
  std::string error;
  auto conn = derivcache::net::make_wss_connection(ioc_, o, {}, error);
  EXPECT_FALSE(conn);
  EXPECT_NE(error.find("/nonexistent/derivcache-ca.pem"), std::string::npos) << error;
}
