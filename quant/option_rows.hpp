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

/// Which expiries of a chain are read, as of when.
struct chain_window {
  timestamp as_of{};
  double min_expiry_dte_days = 1;          ///< closer expiries are ignored (not counted as skipped)
  const expiry_table* expiries = nullptr;  ///< get_instruments expiries, which win over names
};

/// What reading a chain counted.
struct chain_counts {
  std::size_t skipped_rows = 0;            ///< names that are not options, rows `usable` refused
  std::size_t expiry_disagreements = 0;    ///< names whose 08:00 UTC expiry the table overrode
};

/// Calls `use(row, instrument)` for each row whose name parses as an option, that `usable(row)` accepts and whose
/// expiry is at least `min_expiry_dte_days` after `as_of`.
template <class Usable, class Use>
chain_counts for_each_option(const std::vector<option_summary>& options, const chain_window& window, Usable usable,
                             Use use) {
  chain_counts counts;
  for (const auto& row : options) {
    auto parsed = parse_instrument(row.instrument_name);
    if (!parsed.value || parsed.value->kind != instrument_kind::option || !usable(row)) {
      ++counts.skipped_rows;
      continue;
    }
    auto& x = *parsed.value;
    if (window.expiries && window.expiries->apply(x))
      ++counts.expiry_disagreements;
    if (days_between(window.as_of, x.expiry) < window.min_expiry_dte_days)
      continue;
    use(row, x);
  }
  return counts;
}

} // namespace derivcache::quant
