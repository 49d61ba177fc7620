// The signal record of one currency: the JSON object `derivcache analyze` prints and `derivcache backfill`
// writes per step, computed by the quant functions the live engine's calculator uses.
#pragma once

#include "configuration/engine_config.hpp"
#include "quant/currency.hpp"
#include "quant/dvol.hpp"
#include "quant/records.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::apps {

/// The surface, constant-maturity basis and MFIV settings, from the configuration's defaults and the options.
struct signal_settings {
  configuration::surface_settings surface;
  configuration::basis_settings basis;
  configuration::mfiv_settings mfiv;
};

/// What one record is computed from.
struct signal_inputs {
  const quant::currency_spec* currency = nullptr;
  const std::vector<quant::option_summary>* options = nullptr;   ///< null: no options input (skew etc. null)
  const std::vector<quant::future_summary>* futures = nullptr;   ///< null: no futures input (basis from options
                                                                 ///< only for a linear currency)
  std::optional<quant::dvol_reading> dvol;
  std::optional<quant::timestamp> now;                           ///< default: newest creation time of the rows
  double min_dte_days = 7;
  signal_settings settings;
  std::size_t bad_options = 0, bad_futures = 0;                  ///< rows the input's decoder skipped
};

/// Why the headline values are missing (empty when present), for summaries.
struct signal_gaps {
  std::string basis, skew, mfiv;
};

/// The record as one JSON object (no newline). Fields: docs/snapshots.md, README (`derivcache analyze`).
std::string signal_record(const signal_inputs& in, signal_gaps* gaps = nullptr);

/// Parses --tenors, --deltas, --basis-tenors and --mfiv-tenor from `v` into `s`; an error naming the option, or empty.
std::string parse_signal_options(std::map<std::string, std::string>& v, signal_settings& s);

} // namespace derivcache::apps
