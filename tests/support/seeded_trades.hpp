// The committed seeded aggTrade sequence (tests/data/derived/trades_seeded_btcusdt.csv) the rolling-feature
// and feature-collector tests compute by hand.
#pragma once

#include "support/fixtures.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace derivcache::test {

/// t0 of the sequence: T values are t0 + a few seconds.
inline constexpr int64_t seeded_t0 = 1700000000000;

struct seeded_trade {
  int64_t time_ms;
  double price;
  double quantity;
  int64_t first_id;
  int64_t last_id;
  bool buyer_is_maker;
};

// tests/data/derived/trades_seeded_btcusdt.csv (make_trade_sequence.py, seed 20240611).
inline std::vector<seeded_trade> seeded_trades() {
  std::istringstream in{read_file(data_path("derived/trades_seeded_btcusdt.csv"))};
  std::string line;
  std::getline(in, line);   // header
  std::vector<seeded_trade> out;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    std::istringstream row{line};
    std::string cell[6];
    for (auto& c : cell)
      std::getline(row, c, ',');
    out.push_back({std::stoll(cell[0]), std::stod(cell[1]), std::stod(cell[2]), std::stoll(cell[3]),
                   std::stoll(cell[4]), cell[5] == "true"});
  }
  return out;
}

} // namespace derivcache::test
