// Constant-maturity surface: the issue's pins on the real BTC chain of 2026-03-13, and hand-built chains for the edges.
#include "quant/surface.hpp"
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

using namespace derivcache;
using namespace derivcache::quant;

namespace {

const skew_value& record(const surface_result& r, double tenor, double delta) {
  auto x = r.find(tenor, delta);
  EXPECT_TRUE(x && x->value) << tenor << " d / " << delta;
  static const skew_value none;
  return x && x->value ? *x->value : none;
}

const atm_value& atm(const surface_result& r, double tenor) {
  auto x = r.find_atm(tenor);
  EXPECT_TRUE(x && x->value) << tenor << " d";
  static const atm_value none;
  return x && x->value ? *x->value : none;
}

using names = std::vector<std::string>;

// Hand-built chains: as_of 2026-03-01 08:00 UTC, so BTC-8MAR26 is 7 days out, BTC-31MAR26 30, BTC-30APR26 60.
const timestamp hand_now = expiry_at(2026, 3, 1);

option_summary option(const std::string& name, double iv) {
  option_summary row;
  row.instrument_name = name;
  row.base_currency = "BTC";
  row.mark_iv = iv;
  row.underlying_price = 100;
  row.creation_time = hand_now;
  return row;
}

std::string strike_text(double k) {
  const auto whole = static_cast<long>(k);
  return k == static_cast<double>(whole) ? std::to_string(whole) : std::to_string(whole) + "d5";
}

// One expiry with a flat smile at `iv` (so every wing and the ATM IV read `iv`): calls and puts every 2.5 from 50 to
// 150 around a forward of 100; puts only from `lowest_put`.
void add_flat_expiry(std::vector<option_summary>& rows, const std::string& code, double iv, double lowest_put = 0) {
  for (double k = 50; k <= 150; k += 2.5) {
    const auto name = "BTC-" + code + "-" + strike_text(k);
    rows.push_back(option(name + "-C", iv));
    if (k >= lowest_put)
      rows.push_back(option(name + "-P", iv));
  }
}

std::vector<option_summary> three_expiries(double lowest_put_30d = 0) {
  std::vector<option_summary> rows;
  add_flat_expiry(rows, "8MAR26", 40);
  add_flat_expiry(rows, "31MAR26", 50, lowest_put_30d);
  add_flat_expiry(rows, "30APR26", 60);
  return rows;
}

struct pinned {
  const char* what;
  double got;
  double want;
};

// Values against the independent reference, which gives them to 4 decimals.
void expect_pins(std::initializer_list<pinned> pins) {
  for (const auto& p : pins)
    EXPECT_NEAR(p.got, p.want, 5e-5) << p.what;
}

surface_params hand_params(std::vector<double> tenors) {
  surface_params p;
  p.tenors_days = std::move(tenors);
  p.as_of = hand_now;
  return p;
}

} // namespace

TEST(Surface, ThirtyDay25DeltaPinsOnTheRealBtcChain) {
  const auto& v = record(test::on_btc_chain_2026(compute_surface), 30, 0.25);
  expect_pins({{"skew", v.skew_pct, 6.3218}, {"ATM", v.atm_iv, 51.3286}, {"butterfly", v.butterfly, 1.1772},
               {"normalized skew", v.skew_normalized, 0.1232}});
  EXPECT_TRUE(v.bracketed);
  EXPECT_EQ(v.expiries, (names{"BTC-3APR26", "BTC-24APR26"}));
}

TEST(Surface, ThirtyDay10DeltaPinsOnTheRealBtcChain) {
  const auto& v = record(test::on_btc_chain_2026(compute_surface), 30, 0.10);
  expect_pins({{"put", v.put_iv, 63.3490}, {"call", v.call_iv, 49.7053}, {"skew", v.skew_pct, 13.6437},
               {"normalized skew", v.skew_normalized, 0.2659}, {"butterfly", v.butterfly, 5.2249}});
  EXPECT_TRUE(v.bracketed);
  // BTC-3APR26 lists no 10-delta put, so the 10-delta pair differs from the 25-delta one.
  EXPECT_EQ(v.expiries, (names{"BTC-27MAR26", "BTC-24APR26"}));
  auto apr3 = test::find_expiry(test::on_btc_chain_2026(compute_surface).smile, "BTC-3APR26");
  ASSERT_TRUE(apr3);
  EXPECT_FALSE(apr3->wing(0.10)->put_iv);
  EXPECT_TRUE(apr3->wing(0.10)->call_iv);
  EXPECT_TRUE(apr3->wing(0.25)->put_iv);
}

TEST(Surface, OtherTenorPinsOnTheRealBtcChain) {
  const auto& surface = test::on_btc_chain_2026(compute_surface);
  expect_pins({{"7 d ATM", atm(surface, 7).atm_iv, 53.1526},
               {"7 d 25-delta skew", record(surface, 7, 0.25).skew_pct, 6.0393},
               {"90 d ATM", atm(surface, 90).atm_iv, 50.6429},
               {"180 d 25-delta skew", record(surface, 180, 0.25).skew_pct, 4.6632}});
}

TEST(Surface, HeadlineSkewIsTheSurfaceRecordAtThirtyDays25Delta) {
  auto headline = compute_skew(test::btc_chain_2026(), {});
  ASSERT_TRUE(headline.value);
  const auto& v = record(test::on_btc_chain_2026(compute_surface), 30, 0.25);
  EXPECT_EQ(headline.value->skew_pct, v.skew_pct);
  EXPECT_EQ(headline.value->put_iv, v.put_iv);
  EXPECT_EQ(headline.value->call_iv, v.call_iv);
  EXPECT_EQ(headline.value->atm_iv, v.atm_iv);
  EXPECT_EQ(headline.value->butterfly, v.butterfly);
  EXPECT_EQ(headline.value->skew_normalized, v.skew_normalized);
  EXPECT_EQ(headline.value->expiries, v.expiries);
  ASSERT_EQ(headline.smile.size(), test::on_btc_chain_2026(compute_surface).smile.size());
  for (std::size_t i = 0; i < headline.smile.size(); ++i) {
    EXPECT_EQ(headline.smile[i].put_iv, test::on_btc_chain_2026(compute_surface).smile[i].wing(0.25)->put_iv);
    EXPECT_EQ(headline.smile[i].atm_iv, test::on_btc_chain_2026(compute_surface).smile[i].atm_iv);
  }
}

TEST(Surface, DefaultsAreTheIssuesTenorsAndDeltas) {
  const auto& r = test::on_btc_chain_2026(compute_surface);
  EXPECT_EQ(r.reason, skew_reason::none);
  ASSERT_EQ(r.atm.size(), 5u);
  ASSERT_EQ(r.skews.size(), 10u);
  EXPECT_DOUBLE_EQ(r.skews[0].tenor_days, 7);
  EXPECT_DOUBLE_EQ(r.skews[0].delta, 0.10);
  EXPECT_DOUBLE_EQ(r.skews[9].tenor_days, 180);
  EXPECT_DOUBLE_EQ(r.skews[9].delta, 0.25);
  for (const auto& s : r.skews) {
    ASSERT_TRUE(s.value) << s.tenor_days << " d / " << s.delta << ": " << to_string(s.reason);
    EXPECT_DOUBLE_EQ(s.value->skew_pct, s.value->put_iv - s.value->call_iv);
    EXPECT_DOUBLE_EQ(s.value->skew_normalized, s.value->skew_pct / s.value->atm_iv);
    EXPECT_DOUBLE_EQ(s.value->butterfly, (s.value->put_iv + s.value->call_iv) / 2 - s.value->atm_iv);
  }
  EXPECT_FALSE(r.find(30, 0.5));
  EXPECT_FALSE(r.find_atm(45));
}

TEST(Surface, TenorsBelowTheFirstAndBeyondTheLastExpiryUseItUnchanged) {
  struct edge {
    double tenor;
    double delta;
    const char* expiry;
    double iv;   // the expiry's flat smile
  };
  for (const auto& e : {edge{3, 0.25, "BTC-8MAR26", 40}, edge{180, 0.10, "BTC-30APR26", 60}}) {
    auto r = compute_surface(three_expiries(), hand_params({e.tenor}));
    const auto& v = record(r, e.tenor, e.delta);
    EXPECT_FALSE(v.bracketed) << e.tenor;
    EXPECT_EQ(v.expiries, names{e.expiry});
    for (double iv : {v.put_iv, v.call_iv, v.atm_iv, atm(r, e.tenor).atm_iv})
      EXPECT_DOUBLE_EQ(iv, e.iv) << e.tenor;
    EXPECT_DOUBLE_EQ(v.skew_pct, 0);
    EXPECT_EQ(atm(r, e.tenor).expiries, names{e.expiry});
    EXPECT_FALSE(atm(r, e.tenor).bracketed);
  }
}

TEST(Surface, TenorBetweenTwoExpiriesIsInTotalVariance) {
  auto r = compute_surface(three_expiries(), hand_params({20}));
  const auto& v = record(r, 20, 0.25);
  EXPECT_TRUE(v.bracketed);
  EXPECT_EQ(v.expiries, (names{"BTC-8MAR26", "BTC-31MAR26"}));
  EXPECT_NEAR(v.put_iv, std::sqrt((40.0 * 40 * 7 * 10 + 50.0 * 50 * 30 * 13) / 23 / 20), 1e-12);
  EXPECT_NEAR(v.atm_iv, v.put_iv, 1e-12);
}

TEST(Surface, PairMovesWhenAnExpiryHasNoBracketFor10DeltaPuts) {
  // BTC-31MAR26 lists no put below 87.5: its lowest put is about 16 delta, so it has a 25-delta put but no 10-delta one.
  auto r = compute_surface(three_expiries(87.5), hand_params({20}));
  auto mar31 = test::find_expiry(r.smile, "BTC-31MAR26");
  ASSERT_TRUE(mar31);
  EXPECT_FALSE(mar31->wing(0.10)->put_iv);
  EXPECT_TRUE(mar31->wing(0.10)->call_iv);
  EXPECT_TRUE(mar31->wing(0.25)->put_iv);

  EXPECT_EQ(record(r, 20, 0.25).expiries, (names{"BTC-8MAR26", "BTC-31MAR26"}));
  const auto& ten = record(r, 20, 0.10);
  EXPECT_TRUE(ten.bracketed);
  EXPECT_EQ(ten.expiries, (names{"BTC-8MAR26", "BTC-30APR26"}));
  // put, call and ATM all come from the moved pair, so the ATM here is not the ATM record's
  const double from_pair = std::sqrt((40.0 * 40 * 7 * 40 + 60.0 * 60 * 60 * 13) / 53 / 20);
  EXPECT_NEAR(ten.put_iv, from_pair, 1e-12);
  EXPECT_NEAR(ten.call_iv, from_pair, 1e-12);
  EXPECT_NEAR(ten.atm_iv, from_pair, 1e-12);
  EXPECT_EQ(atm(r, 20).expiries, (names{"BTC-8MAR26", "BTC-31MAR26"}));
  EXPECT_LT(atm(r, 20).atm_iv, ten.atm_iv);
}

TEST(Surface, ThinChainHasAnAtmButNoWings) {
  // Two strikes either side of the forward: ATM IV between them, but no pair brackets 25 or 10 delta.
  std::vector<option_summary> rows{option("BTC-31MAR26-97d5-C", 52), option("BTC-31MAR26-97d5-P", 52),
                                   option("BTC-31MAR26-102d5-C", 48), option("BTC-31MAR26-102d5-P", 48)};
  auto r = compute_surface(rows, hand_params({30, 60}));
  EXPECT_EQ(r.reason, skew_reason::none);
  ASSERT_EQ(r.smile.size(), 1u);
  EXPECT_EQ(r.smile[0].rows, 4u);
  const double w = std::log(100 / 97.5) / std::log(102.5 / 97.5);
  EXPECT_NEAR(atm(r, 30).atm_iv, 52 + w * (48 - 52), 1e-12);
  EXPECT_EQ(atm(r, 60).expiries, names{"BTC-31MAR26"});
  for (const auto& s : r.skews) {
    EXPECT_FALSE(s.value);
    EXPECT_EQ(s.reason, skew_reason::no_valid_expiry);
  }
}

TEST(Surface, ChainWithoutAtmGivesReasonsPerRecord) {
  // Every strike above the forward: no ATM IV anywhere.
  std::vector<option_summary> rows{option("BTC-31MAR26-110-C", 52), option("BTC-31MAR26-120-C", 55)};
  auto r = compute_surface(rows, hand_params({30}));
  ASSERT_EQ(r.atm.size(), 1u);
  EXPECT_FALSE(r.atm[0].value);
  EXPECT_EQ(r.atm[0].reason, skew_reason::no_atm_expiry);
  EXPECT_EQ(to_string(r.atm[0].reason), "no expiry has an ATM IV");
  EXPECT_EQ(r.skews[0].reason, skew_reason::no_valid_expiry);
}

TEST(Surface, NoRowsAndUnusableRowsGiveTheChainsReason) {
  EXPECT_EQ(compute_surface(std::vector<option_summary>{}, {}).reason, skew_reason::no_rows);
  auto rows = test::load_rows("deribit_book_summary_option_btc_2022-06-04.json", codec::decode_option_summaries);
  auto r = compute_surface(rows, {});
  EXPECT_EQ(r.reason, skew_reason::no_usable_rows);
  EXPECT_EQ(r.skipped_rows, rows.size());
  EXPECT_TRUE(r.skews.empty());
}
