// Token buckets and the instrument cache.
#include "actors/fetch_shared.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace derivcache::actors {

token_bucket::token_bucket(double rate_per_second, double burst)
  : rate_(rate_per_second > 0 ? rate_per_second : 1), burst_(std::max(1.0, burst)), tokens_(burst_) {}

void token_bucket::refill(time_point now) {
  if (last_ && now > *last_) {
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  if (!last_ || now > *last_)
    last_ = now;
}

bool token_bucket::try_take(time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  refill(now);
  // A tiny epsilon absorbs rounding in elapsed * rate (0.2 s * 5/s may give 0.9999999).
  if (tokens_ + 1e-9 < 1)
    return false;
  tokens_ = std::max(0.0, tokens_ - 1);
  return true;
}

caf::timespan token_bucket::wait_time(time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  refill(now);
  if (tokens_ + 1e-9 >= 1)
    return caf::timespan{0};
  const double seconds = (1 - tokens_) / rate_;
  return std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(seconds)) + caf::timespan{1};
}

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

} // namespace derivcache::actors
