// Replaying recorded Tardis files on a UTC step grid: the files of each kind read in time order, each row into
// the chain state, and at every step the chain of each currency handed to the caller.
#pragma once

#include "backfill/chain_state.hpp"
#include "backfill/tardis_csv.hpp"
#include "quant/currency.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::backfill {

struct replay_settings {
  std::vector<std::string> option_files;        ///< options_chain, plain or gzip
  std::vector<std::string> future_files;        ///< derivative_ticker
  std::vector<quant::currency_spec> currencies;
  std::int64_t every_ms = 300'000;              ///< the grid: steps at multiples of this since the epoch (UTC)
  std::optional<std::int64_t> from_ms;          ///< first step (rounded up to the grid); default: first row + max age
  std::optional<std::int64_t> until_ms;         ///< steps before this (and no later than the last row + max age);
                                                ///< default: up to the last row (the last step at or before it)
  std::int64_t max_row_age_ms = 600'000;        ///< an instrument whose newest row is older is not in the chain
  std::int64_t max_disorder_ms = 60'000;        ///< a row this much older than the newest row read is skipped
};

/// How many rows of one reason were skipped, and where the first was ("file:line").
struct skip_tally {
  std::uint64_t count = 0;
  std::string first;
};

struct stream_counts {
  std::uint64_t rows = 0;                                   ///< data rows read (the header not counted)
  std::array<skip_tally, skip_reason_count> skipped{};
  std::uint64_t skipped_total() const;
};

struct replay_counts {
  stream_counts options, futures;
  std::uint64_t other_currency_rows = 0;   ///< rows of instruments of currencies not followed
  std::uint64_t steps = 0;                 ///< grid steps emitted
  std::int64_t first_step_ms = 0, last_step_ms = 0;
};

/// One currency's chain at one step, as the book summaries would have listed it.
struct step_chain {
  std::int64_t time_ms = 0;
  const quant::currency_spec* currency = nullptr;
  std::vector<quant::option_summary> options;
  std::vector<quant::future_summary> futures;
};

struct replay_progress {
  std::uint64_t rows = 0;
  std::uint64_t bytes_read = 0, bytes_total = 0;   ///< of the files as stored (compressed when gzip)
  std::int64_t step_ms = 0;
};

class replay {
public:
  explicit replay(replay_settings settings);
  ~replay();

  /// Opens every file: its header must have the required columns, and the files of a kind must be given in time
  /// order (by their first row). An error naming the file (exit 2), or empty.
  std::string open();

  /// Reads every row and calls `on_step` for each followed currency at each step, in time order; stops early
  /// when `on_step` returns false or `stop` becomes true (after a whole step). An error naming the file (files
  /// that overlap, a read or gzip error), or empty.
  std::string run(const std::function<bool(const step_chain&)>& on_step,
                  const std::function<void(const replay_progress&)>& on_progress = {},
                  const std::atomic<bool>* stop = nullptr);

  const replay_counts& counts() const { return counts_; }
  bool interrupted() const { return interrupted_; }
  const replay_settings& settings() const { return settings_; }

private:
  template <class Kind>
  class stream;
  struct option_kind;
  struct future_kind;

  replay_settings settings_;
  replay_counts counts_;
  bool interrupted_ = false;
  std::unique_ptr<stream<option_kind>> options_;
  std::unique_ptr<stream<future_kind>> futures_;
};

/// "2026-03-13T19:00:00Z" (UTC, milliseconds shown only when not zero).
std::string format_utc(std::int64_t ms);

} // namespace derivcache::backfill
