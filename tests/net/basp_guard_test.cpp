// The BASP guard between loopback clients and a loopback upstream: frames pass byte-exact both ways, an
// oversized announcement never reaches upstream, the connection cap, the handshake deadline, stop().
// Every wait is bounded (polling with a deadline).
#include "net/basp_guard.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <limits>
#include <optional>
#include <poll.h>
#include <thread>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using derivcache::net::basp_guard;
using derivcache::net::basp_guard_options;

constexpr auto bounded_wait = 5s;
const auto loopback = asio::ip::make_address("127.0.0.1");

/// A BASP header announcing `payload_len` bytes, then `payload_len` bytes of a recognisable pattern.
std::string frame(uint32_t payload_len, bool with_payload = true) {
  std::string out(32, '\0');
  out[0] = 0x02;
  for (int i = 0; i < 4; ++i)
    out[4 + i] = static_cast<char>((payload_len >> (24 - 8 * i)) & 0xff);
  for (std::size_t i = 8; i < 32; ++i)
    out[i] = static_cast<char>(i * 3);
  if (with_payload)
    for (uint32_t i = 0; i < payload_len; ++i)
      out += static_cast<char>((i * 7919) % 251);
  return out;
}

enum class read_end { data, closed, timeout };

/// Waits until `fd` is readable (data, a close, or a pending connection) or `deadline` passed.
bool readable_before(int fd, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{fd, POLLIN, 0};
  return left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

/// Reads until `want` bytes arrived, the peer closed, or `wait` passed; what arrived is appended to `out`.
read_end read_within(tcp::socket& s, std::size_t want, std::string& out, std::chrono::milliseconds wait = bounded_wait) {
  s.non_blocking(true);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  while (out.size() < want) {
    boost::system::error_code ec;
    auto n = s.read_some(asio::buffer(buf, std::min(sizeof buf, want - out.size())), ec);
    out.append(buf, n);
    if (ec == asio::error::would_block) {
      if (!readable_before(s.native_handle(), deadline))
        return read_end::timeout;
    } else if (ec) {
      return read_end::closed;
    }
  }
  return read_end::data;
}

/// True once the peer closed `s` (within `wait`); data arriving first is discarded.
bool closed_within(tcp::socket& s, std::chrono::milliseconds wait = bounded_wait) {
  std::string ignored;
  return read_within(s, std::numeric_limits<std::size_t>::max(), ignored, wait) == read_end::closed;
}

class BaspGuard : public ::testing::Test {
protected:
  void TearDown() override {
    if (guard)
      guard->stop();
    work.reset();
    ioc.stop();
    if (io_thread.joinable())
      io_thread.join();
  }

  /// Starts the guard in front of `upstream`.
  void start(basp_guard_options options) {
    upstream.open(tcp::v4());
    upstream.bind({loopback, 0});
    upstream.listen();
    upstream.non_blocking(true);
    std::string error;
    guard = derivcache::net::make_basp_guard(ioc, std::move(options), error);
    ASSERT_TRUE(guard) << error;
    guard->forward_to(upstream.local_endpoint().port());
    io_thread = std::thread{[this] { ioc.run(); }};
  }

  tcp::socket connect() {
    tcp::socket s{client_ioc};
    s.connect({loopback, guard->port()});
    return s;
  }

  /// The next connection the guard made upstream, if one comes within the bounded wait.
  std::optional<tcp::socket> accept_upstream() {
    const auto deadline = std::chrono::steady_clock::now() + bounded_wait;
    do {
      boost::system::error_code ec;
      tcp::socket s{client_ioc};
      upstream.accept(s, ec);
      if (!ec)
        return s;
    } while (readable_before(upstream.native_handle(), deadline));
    return std::nullopt;
  }

  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{ioc.get_executor()};
  std::thread io_thread;
  asio::io_context client_ioc;
  tcp::acceptor upstream{client_ioc};
  std::shared_ptr<basp_guard> guard;
};

TEST(BaspHeader, PayloadLengthIsBigEndianAtOffsetFour) {
  const auto header = frame(0x7fffffffu, false);
  EXPECT_EQ(derivcache::net::basp_payload_length(reinterpret_cast<const unsigned char*>(header.data())), 0x7fffffffu);
  const auto small = frame(258, false);
  EXPECT_EQ(derivcache::net::basp_payload_length(reinterpret_cast<const unsigned char*>(small.data())), 258u);
}

TEST_F(BaspGuard, FramesPassThroughByteExactBothWays) {
  start({});
  auto client = connect();
  auto server = accept_upstream();
  ASSERT_TRUE(server);
  std::string hello = frame(100);
  asio::write(*server, asio::buffer(hello));
  std::string got;
  ASSERT_EQ(read_within(client, hello.size(), got), read_end::data);
  EXPECT_EQ(got, hello);

  const std::string sent = frame(40000) + frame(0) + frame(3);
  asio::write(client, asio::buffer(sent));
  std::string forwarded;
  ASSERT_EQ(read_within(*server, sent.size(), forwarded), read_end::data);
  EXPECT_EQ(forwarded, sent);
  EXPECT_EQ(guard->stats()->accepted.load(), 1u);
}

TEST_F(BaspGuard, AnOversizedAnnouncementIsClosedAndNeverReachesUpstream) {
  basp_guard_options options;
  options.max_payload = 64 * 1024;
  start(options);
  auto client = connect();
  auto server = accept_upstream();
  ASSERT_TRUE(server);
  const auto first = frame(64 * 1024);
  asio::write(client, asio::buffer(first + frame(0x7fffffffu, false)));
  EXPECT_TRUE(closed_within(client));
  std::string forwarded;
  EXPECT_EQ(read_within(*server, first.size() + 1, forwarded), read_end::closed);
  EXPECT_EQ(forwarded, first);   // the frame within the limit, and nothing of the oversized one
  EXPECT_EQ(guard->stats()->closed_oversized.load(), 1u);
}

TEST_F(BaspGuard, ConnectionsOverTheCapAreClosedAtOnce) {
  basp_guard_options options;
  options.max_connections = 2;
  start(options);
  auto a = connect();
  auto b = connect();
  auto a_upstream = accept_upstream();   // the guard registered both before it connected them upstream
  auto b_upstream = accept_upstream();
  ASSERT_TRUE(a_upstream && b_upstream);
  auto c = connect();
  EXPECT_TRUE(closed_within(c));
  EXPECT_EQ(guard->stats()->refused_over_cap.load(), 1u);
  EXPECT_EQ(guard->stats()->accepted.load(), 2u);
}

TEST_F(BaspGuard, ASilentConnectionIsClosedAfterTheHandshakeTimeoutButNotOneThatSentAFrame) {
  basp_guard_options options;
  options.handshake_timeout = 200ms;
  start(options);
  auto talking = connect();
  auto talking_upstream = accept_upstream();
  ASSERT_TRUE(talking_upstream);
  asio::write(talking, asio::buffer(frame(10)));
  std::string forwarded;
  ASSERT_EQ(read_within(*talking_upstream, 42, forwarded), read_end::data);

  const auto started = std::chrono::steady_clock::now();
  auto silent = connect();
  EXPECT_TRUE(closed_within(silent));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
  EXPECT_EQ(guard->stats()->closed_handshake_timeout.load(), 1u);
  // The talking one was opened earlier and is still open (idle subscribers are legitimate).
  std::string more;
  EXPECT_EQ(read_within(talking, 1, more, 50ms), read_end::timeout);
}

TEST_F(BaspGuard, AClientsCloseReachesUpstreamAsAHalfCloseAndUpstreamsLastBytesStillArrive) {
  start({});
  auto client = connect();
  auto server = accept_upstream();
  ASSERT_TRUE(server);
  const auto last = frame(5);
  asio::write(client, asio::buffer(last));
  client.shutdown(tcp::socket::shutdown_send);
  std::string forwarded;
  EXPECT_EQ(read_within(*server, last.size() + 1, forwarded), read_end::closed);
  EXPECT_EQ(forwarded, last);
  const auto reply = frame(7);
  asio::write(*server, asio::buffer(reply));
  server->close();
  std::string got;
  EXPECT_EQ(read_within(client, reply.size() + 1, got), read_end::closed);
  EXPECT_EQ(got, reply);
}

TEST_F(BaspGuard, StopClosesTheListenerAndEveryConnection) {
  start({});
  auto client = connect();
  auto server = accept_upstream();
  ASSERT_TRUE(server);
  guard->stop();
  EXPECT_TRUE(closed_within(client));
  tcp::socket late{client_ioc};
  boost::system::error_code ec;
  late.connect({loopback, guard->port()}, ec);
  EXPECT_TRUE(ec);
}

} // namespace
