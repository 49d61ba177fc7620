// Rolling-window trade features.
#include "quant/rolling_features.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace derivcache::quant {

namespace {

constexpr double seconds_per_year = 31536000.0;   // 365 days

int64_t second_of(int64_t time_ms) {
  // floor, also for (theoretical) negative times
  return time_ms >= 0 ? time_ms / 1000 : -((-time_ms + 999) / 1000);
}

} // namespace

rolling_features::rolling_features(std::chrono::seconds longest)
  : longest_ms_(std::max<int64_t>(1, std::chrono::milliseconds{longest}.count())) {}

bool rolling_features::add(const trade_sample& t) {
  if (latest_ms_ && t.time_ms <= *latest_ms_ - longest_ms_)
    return false;
  const auto second = second_of(t.time_ms);
  // Trades arrive in time order but for the odd late one: find its second from the newest end.
  auto it = buckets_.end();
  while (it != buckets_.begin() && std::prev(it)->second > second)
    --it;
  if (it == buckets_.begin() || std::prev(it)->second != second) {
    second_bucket fresh;
    fresh.second = second;
    it = std::next(buckets_.insert(it, std::move(fresh)));
  }
  auto& b = *std::prev(it);
  (t.taker_buy ? b.taker_buy_volume : b.taker_sell_volume) += t.quantity;
  b.notional += t.price * t.quantity;
  b.trade_count += t.trade_count;
  b.trades.push_back(t);
  if (!latest_ms_ || t.time_ms >= *latest_ms_) {
    latest_ms_ = t.time_ms;
    last_price_ = t.price;
  }
  if (closes_.empty() || second > closes_.back().first)
    closes_.emplace_back(second, t.price);
  else if (second == closes_.back().first)
    closes_.back().second = t.price;
  // An out-of-order trade from an earlier second counts in the volumes but does not move a close.
  evict();
  return true;
}

void rolling_features::mark_missing(int64_t latest_time_ms, int64_t trades) {
  if (trades <= 0)
    return;
  if (!missing_.empty() && missing_.back().first == latest_time_ms)
    missing_.back().second += trades;
  else
    missing_.emplace_back(latest_time_ms, trades);
  if (latest_ms_)
    evict();
}

void rolling_features::evict() {
  // A second before the one holding the cutoff has only trades at or before the cutoff.
  const auto cutoff_second = second_of(*latest_ms_ - longest_ms_);
  while (!buckets_.empty() && buckets_.front().second < cutoff_second)
    buckets_.pop_front();
  // Keep one close at or before the start of the longest window: the price carried into it.
  const auto start_second = second_of(*latest_ms_) - longest_ms_ / 1000;
  while (closes_.size() >= 2 && closes_[1].first <= start_second)
    closes_.pop_front();
  const auto cutoff = *latest_ms_ - longest_ms_;
  while (!missing_.empty() && missing_.front().first <= cutoff)
    missing_.pop_front();
  while (missing_.size() > 4096) {   // bounded: the oldest gap merges into the next (incomplete a bit longer)
    missing_[1].second += missing_.front().second;
    missing_.pop_front();
  }
}

window_stats rolling_features::stats(std::chrono::seconds window) const {
  window_stats out;
  const int64_t w = window.count();
  out.window_seconds = w;
  if (!latest_ms_ || w <= 0) {
    for (const auto& gap : missing_)
      out.missing_trades += gap.second;
    return out;
  }
  const auto cutoff = *latest_ms_ - w * 1000;
  const auto cutoff_second = second_of(cutoff);
  double notional = 0;
  for (auto b = buckets_.rbegin(); b != buckets_.rend() && b->second >= cutoff_second; ++b) {
    if (b->second > cutoff_second) {
      out.taker_buy_volume += b->taker_buy_volume;
      out.taker_sell_volume += b->taker_sell_volume;
      out.trade_count += b->trade_count;
      notional += b->notional;
      continue;
    }
    for (const auto& t : b->trades) {   // the second the window starts in: trade by trade
      if (t.time_ms <= cutoff)
        continue;
      (t.taker_buy ? out.taker_buy_volume : out.taker_sell_volume) += t.quantity;
      out.trade_count += t.trade_count;
      notional += t.price * t.quantity;
    }
  }
  const double volume = out.taker_buy_volume + out.taker_sell_volume;
  if (volume > 0) {
    out.vwap = notional / volume;
    out.taker_imbalance = (out.taker_buy_volume - out.taker_sell_volume) / volume;
  }

  for (const auto& [time_ms, trades] : missing_)
    if (time_ms > cutoff)
      out.missing_trades += trades;

  const auto last_second = second_of(*latest_ms_);
  const auto start_second = last_second - w;   // exclusive
  std::optional<double> prev;
  std::optional<int64_t> first_in_window;
  double sum_sq = 0;
  for (const auto& [second, close] : closes_) {
    if (second <= start_second) {
      prev = close;   // carried into the window
      continue;
    }
    if (!first_in_window)
      first_in_window = second;
    if (prev && *prev > 0 && close > 0) {
      const double r = std::log(close / *prev);
      sum_sq += r * r;
    }
    prev = close;
  }
  if (first_in_window) {
    // Every second after the first priced one has a previous close (carried when it had no trade).
    const bool carried_in = closes_.front().first <= start_second;
    out.returns = carried_in ? w : last_second - *first_in_window;
  }
  if (out.returns > 0)
    out.realized_vol_pct = std::sqrt(sum_sq * seconds_per_year / static_cast<double>(w)) * 100.0;
  return out;
}

} // namespace derivcache::quant
