// A chain's option names, parsed once.
#include "quant/option_rows.hpp"

namespace derivcache::quant {

option_chain index_options(const std::vector<option_summary>& options, const expiry_table* expiries) {
  option_chain chain;
  chain.rows.reserve(options.size());
  for (std::size_t i = 0; i < options.size(); ++i) {
    const auto& row = options[i];
    chain.newest_creation = std::max(chain.newest_creation, row.creation_time);
    auto key = parse_option_key(row.instrument_name);
    if (!key) {
      ++chain.bad_names;
      continue;
    }
    option_row r{i, *key};
    if (expiries)
      if (auto listed = expiries->find(row.instrument_name); listed && *listed != key->expiry) {
        r.key.expiry = *listed;
        r.disagreed = true;
      }
    chain.rows.push_back(r);
  }
  return chain;
}

} // namespace derivcache::quant
