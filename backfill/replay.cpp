// The replay: files of each kind in order, rows into the chain state, the step grid.
#include "backfill/replay.hpp"

#include "backfill/line_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace derivcache::backfill {

namespace {


// Days since 1970-01-01 to a civil date (H. Hinnant's civil_from_days).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::int64_t to_ms(std::int64_t us) { return us >= 0 ? us / 1000 : -((-us + 999) / 1000); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

} // namespace

std::string format_utc(std::int64_t ms) {
  const std::int64_t days = floor_div(ms, 86'400'000);
  std::int64_t rest = ms - days * 86'400'000;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const auto h = rest / 3'600'000, mi = rest / 60'000 % 60, s = rest / 1000 % 60, milli = rest % 1000;
  char buf[96];
  if (milli)
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(h), static_cast<long long>(mi), static_cast<long long>(s),
                  static_cast<long long>(milli));
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(h), static_cast<long long>(mi), static_cast<long long>(s));
  return buf;
}

std::uint64_t stream_counts::skipped_total() const {
  return std::accumulate(skipped.begin(), skipped.end(), std::uint64_t{0},
                         [](std::uint64_t n, const skip_tally& t) { return n + t.count; });
}

// What the stream of one kind of file needs: its row, its columns (with the file's name) and its row reader.
template <class Tick, class Columns, std::optional<skip_reason> (*Read)(std::string_view, const column_map&, Tick&)>
struct file_kind {
  using tick = Tick;
  using columns = Columns;
  static std::optional<skip_reason> read(std::string_view line, const column_map& map, tick& out) {
    return Read(line, map, out);
  }
};
struct replay::option_kind : file_kind<option_tick, option_columns, read_option_row> {};
struct replay::future_kind : file_kind<future_tick, future_columns, read_future_row> {};

// The rows of one kind's files, in order, as usable ticks. A row far older than the newest read is skipped; a
// single row far ahead of its neighbours (a corrupt timestamp) is skipped too, so it cannot drag the grid ahead.
template <class Kind>
class replay::stream {
public:
  using tick = typename Kind::tick;

  stream(std::vector<std::string> files, std::int64_t max_disorder_ms, stream_counts& counts)
    : files_(std::move(files)), disorder_(max_disorder_ms), counts_(counts) {}

  std::string open() {
    std::int64_t previous = 0;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      line_reader reader{files_[i]};
      if (reader.failed())
        return reader.error();
      total_bytes_ += reader.file_size();
      std::string_view line;
      if (!reader.next(line))
        return reader.failed() ? reader.error() : files_[i] + ": empty (no header line)";
      auto map = map_columns(line, Kind::columns::names, Kind::columns::required);
      if (!map.missing.empty())
        return files_[i] + ": no column '" + map.missing + "' in the header (" + Kind::columns::a_file + " file needs " +
               required_list() + ")";
      // The first usable row dates the file (a file without one only adds skipped rows).
      tick t;
      std::optional<std::int64_t> first;
      while (!first && reader.next(line))
        if (!Kind::read(line, map, t))
          first = to_ms(t.time_us);
      if (reader.failed())
        return reader.error();
      if (!first)
        continue;
      if (first_ms_ && *first < previous)
        return files_[i] + " (first row " + format_utc(*first) + ") comes before " + files_[dated_] + " (first row " +
               format_utc(previous) + "): give the " + Kind::columns::file + " files in time order";
      if (!first_ms_)
        first_ms_ = first;
      previous = *first;
      dated_ = i;
    }
    return {};
  }

  /// The next usable row, not consumed; false at the end of the input or on an error (`error()`).
  bool peek(const tick*& out, std::int64_t& time_ms) {
    if (!has_current_ && !fetch())
      return false;
    out = &current_;
    time_ms = current_ms_;
    return true;
  }
  void consume() { has_current_ = false; }

  /// Counts the current row (peeked last) as skipped.
  void skip_current(skip_reason r) { skip(r, current_line_); }

  const std::string& error() const { return error_; }
  std::optional<std::int64_t> first_ms() const { return first_ms_; }
  std::optional<std::int64_t> newest_ms() const { return newest_; }
  std::uint64_t bytes_read() const { return done_bytes_ + (reader_ ? reader_->bytes_read() : 0); }
  std::uint64_t bytes_total() const { return total_bytes_; }
  bool given() const { return !files_.empty(); }

private:
  static std::string required_list() {
    std::string out;
    for (std::size_t k = 0; k < Kind::columns::required; ++k)
      out.append(k ? ", " : "").append(Kind::columns::names[k]);
    return out;
  }

  void skip(skip_reason r, std::uint64_t line) {
    auto& t = counts_.skipped[static_cast<std::size_t>(r)];
    if (t.count++ == 0)
      t.first = files_[file_] + ":" + std::to_string(line);
  }

  // The next line of the input (a line held back by the look-ahead first), opening the next file as needed.
  // With `same_file`, the end of the current file ends the input (the look-ahead stays within a file).
  bool next_line(std::string_view& line, std::uint64_t& number, bool same_file = false) {
    if (has_held_) {
      has_held_ = false;
      line = held_;
      number = held_line_;
      return true;
    }
    for (;;) {
      if (reader_ && reader_->next(line)) {
        number = reader_->line_number();
        ++counts_.rows;
        return true;
      }
      if (same_file)
        return false;
      if (reader_) {
        if (reader_->failed()) {
          error_ = reader_->error();
          return false;
        }
        done_bytes_ += reader_->file_size();
        reader_.reset();
        ++file_;
      }
      if (file_ >= files_.size())
        return false;
      reader_ = std::make_unique<line_reader>(files_[file_]);
      std::string_view header;
      if (reader_->failed() || !reader_->next(header)) {
        error_ = reader_->failed() ? reader_->error() : files_[file_] + ": empty (no header line)";
        return false;
      }
      map_ = map_columns(header, Kind::columns::names, Kind::columns::required);
      if (!map_.missing.empty()) {
        error_ = files_[file_] + ": no column '" + map_.missing + "' in the header";
        return false;
      }
      first_of_file_ = file_ > 0;
    }
  }

  // Reads rows until one is usable; false at the end or on an error.
  bool fetch() {
    std::string_view line;
    std::uint64_t number = 0;
    while (next_line(line, number)) {
      if (auto r = Kind::read(line, map_, current_)) {
        skip(*r, number);
        continue;
      }
      std::int64_t ms = to_ms(current_.time_us);
      if (first_of_file_ && newest_ && ms < *newest_ - disorder_) {
        error_ = files_[file_] + " (first row " + format_utc(ms) + ") overlaps the file before it (rows up to " +
                 format_utc(*newest_) + "): give each period once, in time order";
        return false;
      }
      first_of_file_ = false;
      if (newest_ && ms < *newest_ - disorder_) {
        skip(skip_reason::out_of_order, number);
        continue;
      }
      if (newest_ && ms > *newest_ + disorder_ && !has_held_) {
        // Far ahead: a gap in the data, or one corrupt row. The next row tells which.
        spike_.assign(line);
        const auto spike_line = number;
        std::string_view next;
        std::uint64_t next_number = 0;
        if (next_line(next, next_number, true)) {
          tick probe;
          if (!Kind::read(next, map_, probe) && to_ms(probe.time_us) <= *newest_ + disorder_ &&
              to_ms(probe.time_us) >= *newest_ - disorder_) {
            skip(skip_reason::out_of_order, spike_line);
            current_ = probe;
            current_line_ = next_number;
            ms = to_ms(probe.time_us);
            return accept(ms);
          }
          held_.assign(next);
          held_line_ = next_number;
          has_held_ = true;
        } else if (!error_.empty()) {
          return false;
        }
        (void)Kind::read(spike_, map_, current_);
        number = spike_line;
      }
      current_line_ = number;
      return accept(ms);
    }
    return false;
  }

  bool accept(std::int64_t ms) {
    newest_ = newest_ ? std::max(*newest_, ms) : ms;
    current_ms_ = ms;
    has_current_ = true;
    return true;
  }

  std::vector<std::string> files_;
  std::int64_t disorder_;
  stream_counts& counts_;
  std::size_t file_ = 0, dated_ = 0;
  std::unique_ptr<line_reader> reader_;
  column_map map_;
  bool first_of_file_ = false;
  tick current_{};
  std::int64_t current_ms_ = 0;
  std::uint64_t current_line_ = 0;
  bool has_current_ = false;
  std::optional<std::int64_t> newest_, first_ms_;
  std::string spike_, held_;
  std::uint64_t held_line_ = 0;
  bool has_held_ = false;
  std::uint64_t done_bytes_ = 0, total_bytes_ = 0;
  std::string error_;
};

replay::replay(replay_settings settings) : settings_(std::move(settings)) {
  options_ = std::make_unique<stream<option_kind>>(settings_.option_files, settings_.max_disorder_ms, counts_.options);
  futures_ = std::make_unique<stream<future_kind>>(settings_.future_files, settings_.max_disorder_ms, counts_.futures);
}

replay::~replay() = default;

std::string replay::open() {
  if (auto e = options_->open(); !e.empty())
    return e;
  return futures_->open();
}

std::string replay::run(const std::function<bool(const step_chain&)>& on_step,
                        const std::function<void(const replay_progress&)>& on_progress, const std::atomic<bool>* stop) {
  const auto every = settings_.every_ms;
  std::optional<std::int64_t> first;
  for (auto f : {options_->first_ms(), futures_->first_ms()})
    if (f)
      first = first ? std::min(*first, *f) : *f;
  if (!first)
    return {};   // no usable row at all: no step
  const std::int64_t from = settings_.from_ms.value_or(*first + settings_.max_row_age_ms);
  std::int64_t t = floor_div(from, every) * every;
  if (t < from)
    t += every;
  // Rows up to this long after a step are read before it is emitted: Tardis orders rows by receive time, so a
  // row stamped before the step can follow one stamped after it.
  const std::int64_t window = std::min<std::int64_t>(10'000, every / 2);
  chain_state state{settings_.currencies};
  std::uint64_t rows_at_progress = 0;
  auto progress = [&] {
    if (!on_progress)
      return;
    on_progress({counts_.options.rows + counts_.futures.rows, options_->bytes_read() + futures_->bytes_read(),
                 options_->bytes_total() + futures_->bytes_total(), t});
  };
  auto advance = [&](auto& s) {
    const typename std::remove_reference_t<decltype(s)>::tick* row = nullptr;
    std::int64_t ms = 0;
    while (s.peek(row, ms) && ms <= t + window) {
      if (auto r = state.add(*row, t))
        s.skip_current(*r);
      s.consume();
      const auto rows = counts_.options.rows + counts_.futures.rows;
      if (rows - rows_at_progress >= (1u << 18)) {
        rows_at_progress = rows;
        progress();
      }
    }
    return s.error();
  };
  for (;;) {
    if (stop && stop->load()) {
      interrupted_ = true;
      break;
    }
    if (settings_.until_ms && t >= *settings_.until_ms)
      break;
    if (auto e = advance(*options_); !e.empty())
      return e;
    if (auto e = advance(*futures_); !e.empty())
      return e;
    const option_tick* o = nullptr;
    const future_tick* f = nullptr;
    std::int64_t ms = 0;
    const bool more = options_->peek(o, ms) || futures_->peek(f, ms);
    if (!more) {
      std::optional<std::int64_t> last;
      for (auto n : {options_->newest_ms(), futures_->newest_ms()})
        if (n)
          last = last ? std::max(*last, *n) : *n;
      // Without --until the last step is the last at or before the last row; with it, steps go on while a row
      // can still be live (after that every step would be empty).
      if (!last || t > *last + (settings_.until_ms ? settings_.max_row_age_ms : 0))
        break;
    }
    for (const auto& c : settings_.currencies) {
      step_chain chain;
      chain.time_ms = t;
      chain.currency = &c;
      chain.options = state.options_at(c, t, settings_.max_row_age_ms);
      chain.futures = state.futures_at(c, t, settings_.max_row_age_ms);
      if (!on_step(chain))
        return {};
    }
    if (counts_.steps++ == 0)
      counts_.first_step_ms = t;
    counts_.last_step_ms = t;
    state.promote();
    state.evict_expired(t);
    counts_.other_currency_rows = state.other_currency_rows();
    progress();
    t += every;
  }
  counts_.other_currency_rows = state.other_currency_rows();
  return {};
}

} // namespace derivcache::backfill
