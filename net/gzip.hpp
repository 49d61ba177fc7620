// gzip for HTTP bodies (zlib): the client inflates `Content-Encoding: gzip` answers under a size cap; the
// simulator compresses its answers with it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace derivcache::net {

/// The outcome of inflate_gzip: the body, or what was wrong with the stream.
struct inflated {
  enum class status : unsigned char { ok, too_large, corrupt };
  status result = status::ok;
  std::string body;      ///< the decompressed bytes (what was inflated before a failure: at most the cap)
  std::string message;   ///< e.g. "gzip: decompresses past 1048576 bytes", "gzip: incorrect header check"
};

/// Inflates one gzip member. Output grows in steps and never past `max_out` (+ one step of capacity): a stream
/// that would decompress past it stops there with `too_large`, so a compression bomb costs at most the cap.
/// A truncated or damaged stream, or bytes after its end, is `corrupt`.
inflated inflate_gzip(std::string_view in, std::size_t max_out);

/// Compresses `in` as one gzip member at zlib `level` (0..9).
std::string gzip(std::string_view in, int level = 6);

} // namespace derivcache::net
