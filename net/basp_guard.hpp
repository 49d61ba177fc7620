// A TCP guard in front of CAF's BASP port: caps connections, the payload a peer may announce and the time
// to a first whole frame, then forwards frames byte-exact to the middleman on loopback. CAF 0.17 has none
// of these limits (a 32-byte header announcing 2 GiB made it allocate 2 GiB).
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace derivcache::net {

/// Size of a BASP header: operation u8, two padding bytes, flags u8, payload length u32 (big-endian),
/// operation data u64, source and destination actor ids u64 (caf/io/basp/header.hpp).
constexpr std::size_t basp_header_size = 32;

/// The payload length a BASP header announces (bytes 4..7, network byte order).
uint32_t basp_payload_length(const unsigned char* header);

struct basp_guard_options {
  std::string host = "127.0.0.1";                            ///< address to bind; never defaulted to 0.0.0.0
  unsigned short port = 0;                                   ///< 0: ephemeral (see basp_guard::port())
  std::size_t max_connections = 64;                          ///< more are accepted and closed at once
  uint64_t max_payload = 4 * 1024 * 1024;                    ///< a larger announcement closes the connection
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds{10}};   ///< until the first whole frame
  std::chrono::milliseconds accept_backoff{100};             ///< pause after an accept error (EMFILE)
};

/// Counters, readable from any thread.
struct basp_guard_stats {
  std::atomic<uint64_t> accepted{0};                  ///< connections forwarded upstream
  std::atomic<uint64_t> refused_over_cap{0};          ///< closed on accept: max_connections were open
  std::atomic<uint64_t> closed_oversized{0};          ///< announced a payload over max_payload
  std::atomic<uint64_t> closed_handshake_timeout{0};  ///< no whole frame within handshake_timeout
};

/// A running guard; its operations run on one strand of the io_context given to make_basp_guard().
class basp_guard {
public:
  virtual ~basp_guard() = default;

  /// The bound port (the ephemeral one when options.port was 0).
  virtual unsigned short port() const = 0;

  /// Starts accepting; each connection is forwarded to 127.0.0.1:upstream_port. Until then connections
  /// wait in the listen backlog. Callable from any thread; later calls are ignored.
  virtual void forward_to(unsigned short upstream_port) = 0;

  virtual std::shared_ptr<const basp_guard_stats> stats() const = 0;

  /// Closes the acceptor and every connection. Callable from any thread (waits briefly for the I/O
  /// thread), idempotent.
  virtual void stop() = 0;
};

/// Binds and listens on options.host:options.port. Null with `error` set ("bind 127.0.0.1:80: Permission
/// denied") when that fails.
std::shared_ptr<basp_guard> make_basp_guard(boost::asio::io_context& ioc, basp_guard_options options,
                                            std::string& error);

} // namespace derivcache::net
