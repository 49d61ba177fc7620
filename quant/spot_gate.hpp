// Which live spot records are usable: exchange times within a sane range of the local clock, ids in
// sequence. Pure and clock-free: the local time is an argument (the frame's receive stamp).
//
// Ids (aggTrade ids, bookTicker update ids) advance. Against the last accepted id R:
//   id <= R and R - id <= max_id_jump   a repeat (a handover overlaps two connections): dropped, not bad
//   id >  R and id - R <= max_id_jump   accepted, R = id
//   anything else                        out of sequence: bad input, dropped, R unchanged
// so one wild id never blocks the ids after it. When `re_anchor_after` records in a row are out of
// sequence with R but in sequence among themselves, R was the wild one: the last of them is accepted and
// becomes R (this only happens when the very first id seen was wild, or the exchange renumbered).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace derivcache::quant {

enum class spot_verdict : uint8_t {
  accepted,
  repeat,               ///< already seen (handover overlap); not bad input
  time_ahead,           ///< exchange time more than max_ahead ahead of the local clock
  id_out_of_sequence,   ///< id further than max_id_jump from the last accepted one, or l - f beyond it
};
std::string to_string(spot_verdict x);

/// Bad input: counted and logged by the caller (a repeat is not bad).
inline bool is_bad(spot_verdict x) { return x == spot_verdict::time_ahead || x == spot_verdict::id_out_of_sequence; }

struct spot_gate_limits {
  int64_t max_ahead_ms = 3'600'000;        ///< one hour: clocks disagree by milliseconds, not hours
  int64_t max_id_jump = 1'000'000'000;     ///< BTCUSDT makes a few million trade ids a day
  int re_anchor_after = 3;
};

/// True when `time_ms` (exchange) is at most `max_ahead_ms` ahead of `local_ms`; never overflows.
bool time_plausible(int64_t time_ms, int64_t local_ms, int64_t max_ahead_ms);

/// The id rule above for one stream of one symbol.
class sequence_gate {
public:
  explicit sequence_gate(spot_gate_limits limits = {}) : limits_(limits) {}

  /// Judges the record with ids [first_id, last_id] (first_id <= last_id); accepting moves the reference.
  spot_verdict check(int64_t first_id, int64_t last_id);

  std::optional<int64_t> last() const { return last_; }

private:
  bool within(int64_t from, int64_t to) const;   ///< to > from and to - from <= max_id_jump

  spot_gate_limits limits_;
  std::optional<int64_t> last_;
  std::optional<int64_t> candidate_;   ///< the last of a run of out-of-sequence ids in sequence among themselves
  int candidate_run_ = 0;
};

/// One aggTrade as the gate sees it (times in ms since the epoch).
struct trade_facts {
  int64_t first_id = 0;
  int64_t last_id = 0;
  int64_t trade_time_ms = 0;   ///< T
  int64_t event_time_ms = 0;   ///< E
  int64_t local_ms = 0;        ///< local clock when the frame was read
};

/// The whole rule for the aggTrades of one symbol: times first (a bad time does not move the id
/// reference), then ids.
class trade_gate {
public:
  explicit trade_gate(spot_gate_limits limits = {}) : limits_(limits), ids_(limits) {}

  spot_verdict check(const trade_facts& t);

  std::optional<int64_t> last_id() const { return ids_.last(); }

private:
  spot_gate_limits limits_;
  sequence_gate ids_;
};

} // namespace derivcache::quant
