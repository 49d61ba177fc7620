// Uses the installed derivcache headers and libraries: decode a chain, compute the skew.
#include "codec/deribit.hpp"
#include "quant/skew.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  std::ifstream in{argv[1]};
  std::stringstream body;
  body << in.rdbuf();
  auto rows = derivcache::codec::decode_option_summaries(body.str());
  auto skew = derivcache::quant::compute_skew(rows.rows, {});
  if (!skew.value)
    return 1;
  std::cout << "consumer: skew " << skew.value->skew_pct << " from " << rows.rows.size() << " rows\n";
  return 0;
}
