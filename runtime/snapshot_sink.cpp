// The JSONL snapshot writer.
#include "runtime/snapshot_sink.hpp"

#include "runtime/log.hpp"
#include "runtime/reading_json.hpp"
#include "codec/json_writer.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace derivcache::runtime {

namespace {

std::string sys_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

template <class T>
std::optional<T> opt(const caf::optional<T>& x) {
  return x ? std::optional<T>{*x} : std::nullopt;
}

std::optional<double> millis(const caf::optional<caf::timespan>& d) {
  if (!d)
    return std::nullopt;
  return std::chrono::duration<double, std::milli>(*d).count();
}

int64_t unix_ms(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void write_window(codec::json_writer& w, const messages::window_features& x) {
  w.begin_object();
  w.field("window_s", x.window_seconds);
  w.field("taker_buy_volume", x.taker_buy_volume);
  w.field("taker_sell_volume", x.taker_sell_volume);
  w.field("trade_count", x.trade_count);
  w.field("vwap", opt(x.vwap));
  w.field("taker_imbalance", opt(x.taker_imbalance));
  w.field("realized_vol_pct", opt(x.realized_vol_pct));
  w.field("returns", x.returns);
  w.field("missing_trades", x.missing_trades);
  w.end_object();
}

void write_input(codec::json_writer& w, const messages::input_status& x) {
  w.begin_object();
  w.field("state", messages::to_string(x.state));
  w.field("age_ms", millis(x.age));
  w.field("lag_ms", millis(x.lag));
  w.end_object();
}

// Offset just past the last '\n' of the file (0 when there is none), reading backwards in blocks.
bool last_line_end(int fd, off_t size, off_t& end, std::string& error, const std::string& path) {
  std::vector<char> buf(4096);
  off_t pos = size;
  while (pos > 0) {
    const off_t n = std::min<off_t>(pos, static_cast<off_t>(buf.size()));
    pos -= n;
    const auto got = ::pread(fd, buf.data(), static_cast<size_t>(n), pos);
    if (got != n) {
      error = sys_error("cannot read", path);
      return false;
    }
    for (off_t i = n; i > 0; --i)
      if (buf[static_cast<size_t>(i - 1)] == '\n') {
        end = pos + i;
        return true;
      }
  }
  end = 0;
  return true;
}

int64_t utc_day(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::duration<int64_t, std::ratio<86400>>>(t.time_since_epoch()).count();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool sync_directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

int open_append(const std::string& path) { return ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }

} // namespace

std::string to_string(fsync_policy x) {
  switch (x) {
    case fsync_policy::never: return "never";
    case fsync_policy::rotate: return "rotate";
    case fsync_policy::every_write: return "every-write";
  }
  return "?";
}

std::optional<fsync_policy> parse_fsync_policy(const std::string& text) {
  for (auto p : {fsync_policy::never, fsync_policy::rotate, fsync_policy::every_write})
    if (to_string(p) == text)
      return p;
  return std::nullopt;
}

std::string rotated_name(const std::string& path, std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == slash + 1)
    return path + "." + stamp;
  return path.substr(0, dot) + "." + stamp + path.substr(dot);
}

std::string snapshot_json(const messages::feature_snapshot& s) {
  codec::json_writer w;
  w.begin_object();
  w.field("time", format_utc(std::chrono::time_point_cast<std::chrono::system_clock::duration>(s.time)));
  w.field("time_ms", unix_ms(s.time));
  w.field("symbol", s.symbol);
  w.field("currency", s.currency);
  w.field("last_price", opt(s.last_price));
  w.field("best_bid", opt(s.best_bid));
  w.field("best_bid_qty", opt(s.best_bid_quantity));
  w.field("best_ask", opt(s.best_ask));
  w.field("best_ask_qty", opt(s.best_ask_quantity));
  w.field("mid", opt(s.mid));
  w.field("spread_bps", opt(s.spread_bps));
  write_window(w.key("window_1m"), s.window_1m);
  write_window(w.key("window_5m"), s.window_5m);
  w.field("futures_basis_apr", opt(s.futures_basis_apr));
  w.field("basis_state", quant::to_string(s.basis_state));
  w.field("basis_last_state", quant::to_string(s.basis_last_state));
  w.field("options_skew", opt(s.options_skew));
  w.field("skew_state", quant::to_string(s.skew_state));
  w.field("skew_last_state", quant::to_string(s.skew_last_state));
  w.field("atm_iv", opt(s.atm_iv));
  w.field("butterfly", opt(s.butterfly));
  write_surface(w.key("surface"), s.surface);
  write_constant_maturity_basis(w.key("basis_cm"), s.basis_cm);
  w.key("mfiv");
  if (s.mfiv)
    write_mfiv(w, *s.mfiv, false);
  else
    w.null();
  w.key("dvol");
  write_dvol(w, s.dvol);
  w.key("inputs");
  w.begin_object();
  w.key("trade");
  write_input(w, s.trade);
  w.key("book");
  write_input(w, s.book);
  w.key("basis");
  write_input(w, s.basis);
  w.key("skew");
  write_input(w, s.skew);
  w.end_object();
  w.end_object();
  return w.take();
}

snapshot_sink::~snapshot_sink() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::unique_ptr<snapshot_sink> snapshot_sink::open(const std::string& path, std::string& error,
                                                   snapshot_sink_options options) {
  if (!options.clock)
    options.clock = [] { return std::chrono::system_clock::now(); };
  const int fd = open_append(path);
  if (fd < 0) {
    error = sys_error("cannot open", path);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = sys_error("cannot stat", path);
    ::close(fd);
    return nullptr;
  }
  off_t end = st.st_size;
  if (st.st_size > 0) {
    char last = 0;
    if (::pread(fd, &last, 1, st.st_size - 1) != 1) {
      error = sys_error("cannot read", path);
      ::close(fd);
      return nullptr;
    }
    if (last != '\n') {
      if (!last_line_end(fd, st.st_size, end, error, path) || ::ftruncate(fd, end) != 0) {
        if (error.empty())
          error = sys_error("cannot truncate", path);
        ::close(fd);
        return nullptr;
      }
    }
  }
  // A file with lines belongs to the day it was last written: one from yesterday is rotated at the first line.
  const auto day = end > 0 ? utc_day(std::chrono::system_clock::from_time_t(st.st_mtime)) : utc_day(options.clock());
  return std::unique_ptr<snapshot_sink>{new snapshot_sink(fd, path, static_cast<uint64_t>(st.st_size - end),
                                                          std::move(options), static_cast<uint64_t>(end), day)};
}

bool snapshot_sink::rotate(std::chrono::system_clock::time_point now, std::string& error) {
  if (options_.fsync != fsync_policy::never && ::fsync(fd_) != 0) {
    error = sys_error("cannot fsync", path_);
    return false;
  }
  auto target = rotated_name(path_, now);
  for (auto t = now; exists(target);)   // two rotations in one millisecond: the later name sorts later
    target = rotated_name(path_, t += std::chrono::milliseconds{1});
  if (::rename(path_.c_str(), target.c_str()) != 0) {
    error = sys_error("cannot rotate", path_ + " to " + target);
    return false;
  }
  const int fd = open_append(path_);
  if (fd < 0) {
    error = sys_error("cannot open", path_);
    return false;   // the old descriptor stays open on the rotated file: lines keep landing somewhere
  }
  ::close(fd_);
  fd_ = fd;
  if (options_.fsync != fsync_policy::never && !sync_directory_of(path_)) {
    error = sys_error("cannot fsync the directory of", path_);
    return false;
  }
  size_ = 0;
  day_ = utc_day(now);
  ++rotations_;
  return true;
}

bool snapshot_sink::append(const std::string& line, std::string& error) {
  std::string data = line;
  data += '\n';
  const auto now = options_.clock();
  const bool too_big = options_.max_file_size > 0 && size_ + data.size() > options_.max_file_size;
  if (size_ > 0 && (too_big || utc_day(now) != day_) && !rotate(now, error))
    return false;
  if (size_ == 0)
    day_ = utc_day(now);
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const auto n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      error = sys_error("cannot write", path_);
      // Take back a partly written line so later lines do not start mid-line.
      const auto written = static_cast<off_t>(data.size() - left);
      struct stat st {};
      if (written > 0 && ::fstat(fd_, &st) == 0 && st.st_size >= written)
        (void)::ftruncate(fd_, st.st_size - written);
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  size_ += data.size();
  if (options_.fsync == fsync_policy::every_write && ::fdatasync(fd_) != 0) {
    error = sys_error("cannot fdatasync", path_);
    return false;
  }
  ++lines_written_;
  return true;
}

} // namespace derivcache::runtime
