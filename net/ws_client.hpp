// Asynchronous WebSocket-over-TLS client (Boost.Beast + OpenSSL) for market-data streams.
#pragma once

#include "net/https_client.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::net {

/// A WSS endpoint and its client settings.
struct ws_options {
  std::string host = "stream.binance.com";
  std::string port = "9443";
  std::string target = "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker";
  std::string ca_file;                                          ///< extra trust anchors; system store always used
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds{10}};   ///< TCP + TLS + WebSocket handshake
  std::size_t max_frame = 1u << 20;                             ///< larger frames are counted and skipped
  std::size_t max_batch = 512;                                  ///< frames handed over per on_frames call
};

/// What a connection reports. Every callback runs on the I/O thread; the owner turns them into
/// actor messages and must not block.
struct ws_callbacks {
  std::function<void()> on_open;                                   ///< handshake completed
  std::function<void(std::vector<std::string> frames)> on_frames;  ///< text frames read in one burst
  std::function<void(std::size_t bytes)> on_oversized;             ///< a frame over max_frame was skipped
  std::function<void()> on_ping;                                   ///< server ping (answered automatically)
  std::function<void(failure why, std::string message)> on_close; ///< exactly once, after which nothing else is called
};

/// One WebSocket connection. Pings are answered with pongs echoing the payload (Beast does this).
/// Reconnection is the owner's job: make a new connection.
///
/// - A frame over `max_frame` is read in chunks and discarded (memory stays bounded), then
///   `on_oversized(its size)` is reported in stream order and the connection stays open, so the
///   owner counts it and decides whether to reconnect. A frame over 256 x `max_frame` is not worth
///   reading: `on_close(failure::body_too_large, "read: message over N bytes")`.
/// - `on_frames` gets every frame already buffered after a read (up to `max_batch`) in one call.
/// - `on_close` kinds: resolve / connect / tls / timeout (the whole handshake took longer than
///   `handshake_timeout`) / protocol (upgrade refused, bad WebSocket framing) / reset (dropped, or
///   a close frame from the server) / cancelled (close()). Messages name the stage:
///   "tls handshake: certificate verify failed", "ws handshake: timed out after 300 ms",
///   "read: closed by the server (code 1001)". Frames read before an error or a server close are
///   delivered before on_close; after close() nothing but on_close(cancelled) is called.
class ws_connection {
public:
  virtual ~ws_connection() = default;
  virtual void start() = 0;    ///< resolve, connect, TLS (SNI + peer and host-name verification), WS handshake
  virtual void close() = 0;    ///< graceful close; on_close(failure::cancelled, ...) follows
};

/// Makes a connection bound to `ioc`. Fails (empty pointer, `error` set) when the CA file is unreadable.
std::shared_ptr<ws_connection> make_wss_connection(boost::asio::io_context& ioc, ws_options options,
                                                   ws_callbacks callbacks, std::string& error);

} // namespace derivcache::net
