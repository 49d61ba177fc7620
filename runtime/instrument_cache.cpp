// The instrument cache.
#include "runtime/instrument_cache.hpp"

namespace derivcache::runtime {

std::shared_ptr<const quant::expiry_table> instrument_cache::table(const std::string& currency) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(currency);
  return i == entries_.end() ? nullptr : i->second.table;
}

bool instrument_cache::due(const std::string& currency, time_point now) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(currency);
  return i == entries_.end() || !i->second.next_due || now >= *i->second.next_due;
}

void instrument_cache::store(const std::string& currency, std::shared_ptr<const quant::expiry_table> table,
                             time_point next_due) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = entries_[currency];
  e.table = std::move(table);
  e.next_due = next_due;
}

void instrument_cache::postpone(const std::string& currency, time_point next_due) {
  std::lock_guard<std::mutex> guard{mtx_};
  entries_[currency].next_due = next_due;
}

} // namespace derivcache::runtime
