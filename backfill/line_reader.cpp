// Reading lines of plain or gzip files in blocks (zlib inflate as the bytes arrive).
#include "backfill/line_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace derivcache::backfill {

namespace {

constexpr std::size_t raw_block = 1u << 20;        // compressed bytes per read
constexpr std::size_t text_block = 4u << 20;       // decoded bytes kept at once
constexpr std::size_t max_line = 64u << 20;        // a longer line is not CSV: stop with an error
constexpr int auto_window = 15 + 32;               // zlib: 32 KiB window, gzip or zlib header detected

} // namespace

struct line_reader::impl {
  std::FILE* file = nullptr;
  bool gzip = false;
  bool raw_eof = false;
  bool stream_open = false;
  z_stream zs{};
  std::string raw;
  ~impl() {
    if (stream_open)
      inflateEnd(&zs);
    if (file)
      std::fclose(file);
  }
};

line_reader::line_reader(const std::string& path) : path_(path), impl_(std::make_unique<impl>()) {
  impl_->file = std::fopen(path.c_str(), "rb");
  if (!impl_->file) {
    error_ = path + ": cannot read: " + std::strerror(errno);
    return;
  }
  struct stat st {};
  if (::fstat(fileno(impl_->file), &st) == 0)
    file_size_ = static_cast<std::uint64_t>(st.st_size);
  text_.resize(text_block);
  impl_->raw.resize(raw_block);
  unsigned char magic[2] = {0, 0};
  const auto got = std::fread(magic, 1, 2, impl_->file);
  std::rewind(impl_->file);
  impl_->gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (impl_->gzip) {
    if (inflateInit2(&impl_->zs, auto_window) != Z_OK) {
      error_ = path + ": cannot start zlib";
      return;
    }
    impl_->stream_open = true;
  }
}

line_reader::~line_reader() = default;

std::size_t line_reader::read_raw(char* into, std::size_t capacity) {
  const auto n = std::fread(into, 1, capacity, impl_->file);
  bytes_read_ += n;
  if (n < capacity) {
    if (std::ferror(impl_->file))
      error_ = path_ + ": cannot read: " + std::strerror(errno);
    impl_->raw_eof = true;
  }
  return n;
}

// Appends decoded text after end_; false when nothing more can come (end of file or error).
bool line_reader::fill() {
  if (begin_ > 0) {
    std::memmove(text_.data(), text_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == text_.size()) {
    if (text_.size() >= max_line) {
      error_ = path_ + ":" + std::to_string(line_number_ + 1) + ": line longer than " +
               std::to_string(max_line >> 20) + " MiB";
      return false;
    }
    text_.resize(text_.size() * 2);
  }
  char* out = text_.data() + end_;
  const std::size_t room = text_.size() - end_;
  if (!impl_->gzip) {
    if (impl_->raw_eof)
      return false;
    const auto n = read_raw(out, room);
    end_ += n;
    return n > 0 && !failed();
  }
  auto& zs = impl_->zs;
  zs.next_out = reinterpret_cast<Bytef*>(out);
  zs.avail_out = static_cast<uInt>(room);
  while (zs.avail_out == room) {
    if (zs.avail_in == 0) {
      if (impl_->raw_eof)
        break;
      zs.next_in = reinterpret_cast<Bytef*>(impl_->raw.data());
      zs.avail_in = static_cast<uInt>(read_raw(impl_->raw.data(), impl_->raw.size()));
      if (failed())
        return false;
      if (zs.avail_in == 0)
        break;
    }
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      // Concatenated members (gzip -c a >> b) are one file: start the next member, if any.
      if (zs.avail_in == 0 && impl_->raw_eof) {
        impl_->stream_open = false;
        inflateEnd(&zs);
        impl_->gzip = false;   // the stream is done: later fills read nothing
        impl_->raw_eof = true;
        break;
      }
      inflateReset(&zs);
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error_ = path_ + ": gzip: " + (zs.msg ? zs.msg : "invalid stream");
      return false;
    }
  }
  const std::size_t produced = room - zs.avail_out;
  end_ += produced;
  if (produced == 0 && impl_->gzip && impl_->raw_eof) {
    error_ = path_ + ": gzip: the file ends before the end of the stream";
    return false;
  }
  return produced > 0;
}

bool line_reader::next(std::string_view& line) {
  if (failed())
    return false;
  std::size_t searched = 0;   // bytes after begin_ known to hold no end of line
  for (;;) {
    const char* start = text_.data() + begin_;
    const void* nl = std::memchr(start + searched, '\n', end_ - begin_ - searched);
    if (nl) {
      std::size_t size = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
      begin_ += size + 1;
      if (size > 0 && start[size - 1] == '\r')
        --size;
      line = std::string_view{start, size};
      ++line_number_;
      return true;
    }
    searched = end_ - begin_;
    if (eof_ || !fill()) {
      eof_ = true;
      if (failed() || begin_ == end_)
        return false;
      // The last line has no end of line.
      std::size_t size = end_ - begin_;
      if (text_[begin_ + size - 1] == '\r')
        --size;
      line = std::string_view{text_.data() + begin_, size};
      begin_ = end_;
      ++line_number_;
      return true;
    }
  }
}

} // namespace derivcache::backfill
