// Acceptance of live spot records.
#include "quant/spot_gate.hpp"

namespace derivcache::quant {

namespace {

// b - a for b >= a, exact in uint64 for any int64 pair.
uint64_t distance(int64_t a, int64_t b) { return static_cast<uint64_t>(b) - static_cast<uint64_t>(a); }

} // namespace

std::string to_string(spot_verdict x) {
  switch (x) {
    case spot_verdict::accepted: return "accepted";
    case spot_verdict::repeat: return "repeat";
    case spot_verdict::time_ahead: return "exchange time ahead of the local clock";
    case spot_verdict::id_out_of_sequence: return "id out of sequence";
  }
  return "?";
}

bool time_plausible(int64_t time_ms, int64_t local_ms, int64_t max_ahead_ms) {
  if (time_ms <= local_ms)
    return true;
  return distance(local_ms, time_ms) <= static_cast<uint64_t>(max_ahead_ms < 0 ? 0 : max_ahead_ms);
}

bool sequence_gate::within(int64_t from, int64_t to) const {
  return to > from && distance(from, to) <= static_cast<uint64_t>(limits_.max_id_jump);
}

spot_verdict sequence_gate::check(int64_t first_id, int64_t last_id) {
  if (last_id < first_id || distance(first_id, last_id) > static_cast<uint64_t>(limits_.max_id_jump))
    return spot_verdict::id_out_of_sequence;   // an id range no real aggregate spans
  if (!last_ || within(*last_, last_id)) {
    last_ = last_id;
    candidate_.reset();
    candidate_run_ = 0;
    return spot_verdict::accepted;
  }
  if (last_id <= *last_ && distance(last_id, *last_) <= static_cast<uint64_t>(limits_.max_id_jump))
    return spot_verdict::repeat;
  if (candidate_ && within(*candidate_, last_id))
    ++candidate_run_;
  else
    candidate_run_ = 1;
  candidate_ = last_id;
  if (candidate_run_ >= limits_.re_anchor_after) {
    last_ = last_id;
    candidate_.reset();
    candidate_run_ = 0;
    return spot_verdict::accepted;
  }
  return spot_verdict::id_out_of_sequence;
}

spot_verdict trade_gate::check(const trade_facts& t) {
  if (!time_plausible(t.trade_time_ms, t.local_ms, limits_.max_ahead_ms)
      || !time_plausible(t.event_time_ms, t.local_ms, limits_.max_ahead_ms))
    return spot_verdict::time_ahead;
  return ids_.check(t.first_id, t.last_id);
}

} // namespace derivcache::quant
