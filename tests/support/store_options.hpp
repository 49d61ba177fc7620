// The feature store's settings in the store and store-keeper tests: horizons 3 s and 5 s, gaps up to 2 s,
// outcomes settle 2 s after their horizon.
#pragma once

#include "store/store.hpp"

#include <string>

namespace derivcache::test {

inline store::store_options test_store_options(const std::string& path) {
  store::store_options o;
  o.path = path;
  o.horizons_s = {3, 5};
  o.max_gap_s = 2;
  o.settle_ms = 2000;
  return o;
}

} // namespace derivcache::test
