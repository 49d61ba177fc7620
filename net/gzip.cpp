#include "net/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace derivcache::net {

namespace {

constexpr int gzip_window = 15 + 16;   // 32 KiB window, gzip header and trailer (RFC 1952)
constexpr std::size_t step = 64u << 10;

} // namespace

inflated inflate_gzip(std::string_view in, std::size_t max_out) {
  inflated out;
  auto too_large = [&] {
    out.result = inflated::status::too_large;
    out.message = "gzip: decompresses past " + std::to_string(max_out) + " bytes";
    out.body.resize(max_out);
  };
  z_stream zs{};
  if (inflateInit2(&zs, gzip_window) != Z_OK) {
    out.result = inflated::status::corrupt;
    out.message = "gzip: cannot start zlib";
    return out;
  }
  // The trailer's ISIZE (the size mod 2^32, untrusted) sizes the one allocation a normal body needs.
  if (in.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    const std::size_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (std::size_t{t[3]} << 24);
    out.body.reserve(std::min(isize, max_out + 1));
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.body.size() > max_out) {
      too_large();
      break;
    }
    // At most one step past the cap, so that "exactly max_out" still inflates and one byte more is seen.
    const auto before = out.body.size();
    const auto grow = std::min(step, max_out + 1 - before);
    out.body.resize(before + grow);
    zs.next_out = reinterpret_cast<Bytef*>(out.body.data() + before);
    zs.avail_out = static_cast<uInt>(grow);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.body.resize(before + grow - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {   // no progress possible: the input ended early
      out.result = inflated::status::corrupt;
      out.message = "gzip: the body ends before the end of the stream";
    } else if (rc == Z_BUF_ERROR) {
      rc = Z_OK;
    } else if (rc != Z_OK && rc != Z_STREAM_END) {
      out.result = inflated::status::corrupt;
      out.message = std::string{"gzip: "} + (zs.msg ? zs.msg : "invalid stream");
    }
  }
  if (rc == Z_STREAM_END && zs.avail_in != 0) {
    out.result = inflated::status::corrupt;
    out.message = "gzip: " + std::to_string(zs.avail_in) + " bytes after the end of the stream";
  }
  if (out.result == inflated::status::ok && rc == Z_STREAM_END && out.body.size() > max_out)
    too_large();
  inflateEnd(&zs);
  return out;
}

std::string gzip(std::string_view in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, gzip_window, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: cannot start zlib");
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("gzip: deflate did not finish");
  return out;
}

} // namespace derivcache::net
