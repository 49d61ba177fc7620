// Reading an option chain the way every chain computation does: the snapshot time, which rows count, per expiry.
#pragma once

#include "quant/instrument.hpp"
#include "quant/records.hpp"
#include "quant/time.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace derivcache::quant {

/// The newest `creation_time` of `rows` (the epoch for none): the snapshot time computations default to.
template <class Row>
timestamp newest_creation_time(const std::vector<Row>& rows) {
  timestamp newest{};
  for (const auto& row : rows)
    newest = std::max(newest, row.creation_time);
  return newest;
}

/// An option row's name, parsed (the expiry the get_instruments table lists, when it does).
struct option_row {
  std::size_t index = 0;   ///< position in the chain's option rows
  option_key key;
  bool disagreed = false;  ///< the table's expiry overrode the name's 08:00 UTC rule
};

/// A chain's option names, each parsed once for every computation that reads the chain (the fetcher makes it
/// with the chain). Rows are named by position: it fits the option rows it was made from, unchanged.
struct option_chain {
  std::vector<option_row> rows;            ///< the rows whose names are option names, in row order
  std::size_t bad_names = 0;               ///< names that are not option names
  timestamp newest_creation{};             ///< newest creation_time of all rows
  std::size_t size() const { return rows.size() + bad_names; }
};

/// Parses every name of `options` once; `expiries` (may be null) wins over names where it lists one.
option_chain index_options(const std::vector<option_summary>& options, const expiry_table* expiries);

/// Which expiries of a chain are read, as of when.
struct chain_window {
  timestamp as_of{};
  double min_expiry_dte_days = 1;          ///< closer expiries are ignored (not counted as skipped)
};

/// What reading a chain counted.
struct chain_counts {
  std::size_t skipped_rows = 0;            ///< names that are not options, rows `usable` refused
  std::size_t expiry_disagreements = 0;    ///< names whose 08:00 UTC expiry the table overrode
};

/// Calls `use(row, key)` for each option row (of `options`, indexed by `chain`) that `usable(row)` accepts and whose
/// expiry is at least `min_expiry_dte_days` after `as_of`.
template <class Usable, class Use>
chain_counts for_each_option(const std::vector<option_summary>& options, const option_chain& chain,
                             const chain_window& window, Usable usable, Use use) {
  chain_counts counts{chain.bad_names, 0};
  for (const auto& r : chain.rows) {
    const auto& row = options[r.index];
    if (!usable(row)) {
      ++counts.skipped_rows;
      continue;
    }
    counts.expiry_disagreements += r.disagreed ? 1 : 0;
    if (days_between(window.as_of, r.key.expiry) < window.min_expiry_dte_days)
      continue;
    use(row, r.key);
  }
  return counts;
}

/// The start every chain computation shares. No rows: false, `out` untouched (its reason stays no_rows).
/// Otherwise `out.as_of` (`params.as_of`, else the newest creation time), `use(row, key)` for each row of
/// for_each_option, the counts in `out`, and true when some row was usable (else `out.reason` is no_usable_rows).
template <class Result, class Params, class Usable, class Use>
bool read_options(const std::vector<option_summary>& options, const option_chain& names, const Params& params,
                  Result& out, Usable usable, Use use) {
  if (options.empty())
    return false;
  out.as_of = params.as_of.value_or(names.newest_creation);
  auto counts = for_each_option(options, names, {out.as_of, params.min_expiry_dte_days}, usable, use);
  out.skipped_rows = counts.skipped_rows;
  out.expiry_disagreements = counts.expiry_disagreements;
  if (out.skipped_rows < options.size())
    return true;
  out.reason = decltype(out.reason)::no_usable_rows;
  return false;
}

} // namespace derivcache::quant
