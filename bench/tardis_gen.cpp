// bench_tardis_gen: a synthetic day of Tardis.dev Deribit CSV (options_chain gzip, derivative_ticker) for the backfill
// benchmark. BTC, ETH and SOL_USDC chains (11 expiries, strikes +/-40% of the forward), random walks of the
// forwards, marks from Black-76 on a skewed smile; rows spread evenly over 2026-03-01 UTC, in time order.
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t day_start_ms = 1'772'323'200'000;   // 2026-03-01T00:00:00Z
constexpr std::int64_t day_ms = 86'400'000;

struct expiry {
  const char* code;
  std::int64_t ms;   // 08:00 UTC
};

// Days since the epoch of a civil date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct currency {
  const char* prefix;   // "BTC", "SOL_USDC"
  double forward;
  double step;          // strike spacing
  bool linear;
  double vol;           // ATM IV, percent
};

struct option {
  std::string name;
  const currency* c;
  const char* code;   // "27MAR26"
  std::int64_t expiry_ms;
  double strike;
  bool put;
};

double norm_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Black-76 price in the quote currency, r = 0.
double black76(bool put, double f, double k, double sigma, double t) {
  const double s = sigma * std::sqrt(t);
  const double d1 = (std::log(f / k) + 0.5 * s * s) / s, d2 = d1 - s;
  return put ? k * norm_cdf(-d2) - f * norm_cdf(-d1) : f * norm_cdf(d1) - k * norm_cdf(d2);
}

class gz_out {
public:
  explicit gz_out(const char* path) : f_(gzopen(path, "wb6")) {
    if (!f_) {
      std::fprintf(stderr, "bench_tardis_gen: cannot write %s\n", path);
      std::exit(2);
    }
    gzbuffer(f_, 1u << 20);
  }
  ~gz_out() { gzclose(f_); }
  void write(const char* s, std::size_t n) { gzwrite(f_, s, static_cast<unsigned>(n)); }

private:
  gzFile f_;
};

} // namespace

int main(int argc, char** argv) {
  std::int64_t rows = 10'000'000;
  const char* options_path = nullptr;
  const char* futures_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows"))
      rows = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--options-chain"))
      options_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--derivative-ticker"))
      futures_path = argv[i + 1];
  }
  if (!options_path || !futures_path || rows <= 0) {
    std::fprintf(stderr, "usage: bench_tardis_gen --rows N --options-chain FILE.csv.gz --derivative-ticker FILE.csv\n");
    return 2;
  }
  static const char* months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  std::vector<expiry> expiries;
  std::vector<std::string> codes;
  const int dates[][3] = {{2026, 3, 2},  {2026, 3, 3},  {2026, 3, 4},  {2026, 3, 6},  {2026, 3, 13}, {2026, 3, 20},
                          {2026, 3, 27}, {2026, 4, 24}, {2026, 5, 29}, {2026, 6, 26}, {2026, 9, 25}};
  codes.reserve(std::size(dates));
  for (const auto& d : dates) {
    codes.push_back(std::to_string(d[2]) + months[d[1] - 1] + std::to_string(d[0] % 100));
    expiries.push_back({codes.back().c_str(), days_from_civil(d[0], static_cast<unsigned>(d[1]),
                                                              static_cast<unsigned>(d[2])) * day_ms + 8 * 3'600'000});
  }
  currency currencies[] = {{"BTC", 71000, 1000, false, 50}, {"ETH", 2000, 25, false, 65}, {"SOL_USDC", 90, 2, true, 80}};
  std::vector<option> options;
  for (auto& c : currencies)
    for (const auto& e : expiries)
      for (double k = std::round(c.forward * 0.6 / c.step) * c.step; k <= c.forward * 1.4; k += c.step)
        for (bool put : {false, true}) {
          char strike[32];
          std::snprintf(strike, sizeof strike, "%.0f", k);
          options.push_back(
            {std::string{c.prefix} + "-" + e.code + "-" + strike + (put ? "-P" : "-C"), &c, e.code, e.ms, k, put});
        }

  std::mt19937_64 rng{20260301};
  std::normal_distribution<double> walk{0, 1};
  std::uniform_int_distribution<std::size_t> pick{0, options.size() - 1};
  gz_out out{options_path};
  const char* header = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,"
                       "bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,"
                       "underlying_price,delta,gamma,vega,theta,rho\n";
  out.write(header, std::strlen(header));
  std::string block;
  block.reserve(2u << 20);
  char line[512];
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int64_t t_us = day_start_ms * 1000 + i * (day_ms * 1000 / rows);
    const std::int64_t t_ms = t_us / 1000;
    const option* o = nullptr;
    while (!o || o->expiry_ms <= t_ms)
      o = &options[pick(rng)];
    auto& c = const_cast<currency&>(*o->c);
    c.forward *= std::exp(walk(rng) * 2e-5);
    const double years = static_cast<double>(o->expiry_ms - t_ms) / (365.0 * day_ms);
    const double m = std::log(o->strike / c.forward) / std::sqrt(std::max(years, 1e-4));
    const double iv = c.vol - 8 * m + 12 * m * m;
    const double usd = black76(o->put, c.forward, o->strike, iv / 100, years);
    const double mark = c.linear ? usd : usd / c.forward;
    const int n = std::snprintf(line, sizeof line,
                                "deribit,%s,%lld,%lld,%s,%.0f,%lld,%.1f,,%.4f,%.1f,%.2f,%.4f,%.1f,%.2f,%.8f,%.2f,%s-%s,%.2f,"
                                "%.5f,%.5f,%.5f,%.5f,%.5f\n",
                                o->name.c_str(), static_cast<long long>(t_us), static_cast<long long>(t_us + 1700),
                                o->put ? "put" : "call", o->strike, static_cast<long long>(o->expiry_ms * 1000), 10.0,
                                mark * 0.99, 5.0, iv - 1, mark * 1.01, 5.0, iv + 1, mark, iv, c.prefix, o->code, c.forward, o->put ? -0.4 : 0.6, 1e-5,
                                20.0, -30.0, 1.0);
    block.append(line, static_cast<std::size_t>(n));
    if (block.size() > (1u << 20)) {
      out.write(block.data(), block.size());
      block.clear();
    }
  }
  out.write(block.data(), block.size());

  // Futures and perpetuals every 5 s, marks near the options' forwards at the end of the walk (for plausibility only).
  std::FILE* f = std::fopen(futures_path, "w");
  if (!f)
    return 2;
  std::fputs("exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,"
             "open_interest,last_price,index_price,mark_price\n", f);
  const char* futures[][2] = {{"BTC-PERPETUAL", "BTC"}, {"BTC-27MAR26", "BTC"}, {"BTC-26JUN26", "BTC"},
                              {"ETH-PERPETUAL", "ETH"}, {"ETH-27MAR26", "ETH"}, {"SOL_USDC-PERPETUAL", "SOL_USDC"}};
  for (std::int64_t t = day_start_ms; t < day_start_ms + day_ms; t += 5000)
    for (const auto& fu : futures) {
      double index = 0;
      for (const auto& c : currencies)
        if (!std::strcmp(c.prefix, fu[1]))
          index = c.forward;
      const bool perpetual = std::strstr(fu[0], "PERPETUAL") != nullptr;
      std::fprintf(f, "deribit,%s,%lld,%lld,,%s,,1000,,%.2f,%.2f\n", fu[0], static_cast<long long>(t * 1000),
                   static_cast<long long>(t * 1000 + 900), perpetual ? "0.00001" : "", index,
                   index * (perpetual ? 1.0001 : 1.004));
    }
  std::fclose(f);
  return 0;
}
