// The instrument (expiry) cache: per currency, the expiry table from get_instruments and when it is due
// again. It survives fetcher restarts.
#pragma once

#include "quant/instrument.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace derivcache::runtime {

/// Thread-safe.
class instrument_cache {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// The table for `currency`, or null when none was fetched yet.
  std::shared_ptr<const quant::expiry_table> table(const std::string& currency) const;

  /// True when `currency` was never fetched or its refresh time has come.
  bool due(const std::string& currency, time_point now) const;

  void store(const std::string& currency, std::shared_ptr<const quant::expiry_table> table, time_point next_due);
  void postpone(const std::string& currency, time_point next_due);

private:
  struct entry {
    std::shared_ptr<const quant::expiry_table> table;
    std::optional<time_point> next_due;
  };
  mutable std::mutex mtx_;
  std::map<std::string, entry> entries_;
};

} // namespace derivcache::runtime
