// Deribit instrument names, expiries and the quarterly rule; what each followed currency has on Deribit.
#include "quant/currency.hpp"
#include "quant/instrument.hpp"
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

using namespace derivcache;
using namespace derivcache::quant;

TEST(Instrument, DatedFutureExpiresAt0800Utc) {
  auto x = parse_instrument("BTC-28MAR25");
  ASSERT_TRUE(x.value) << x.error;
  EXPECT_EQ(x.value->kind, instrument_kind::future);
  EXPECT_EQ(x.value->base, "BTC");
  EXPECT_FALSE(x.value->linear);
  EXPECT_EQ(to_unix_ms(x.value->expiry), 1743148800000);   // get_instruments' expiration_timestamp
}

TEST(Instrument, UnpaddedDayIsAccepted) {
  auto x = parse_instrument("BTC-3APR26");
  ASSERT_TRUE(x.value) << x.error;
  EXPECT_EQ(x.value->expiry, expiry_at(2026, 4, 3));
  EXPECT_EQ(x.value->expiry_label(), "BTC-3APR26");
}

TEST(Instrument, InverseOption) {
  auto x = parse_instrument("BTC-27MAR26-60000-C");
  ASSERT_TRUE(x.value) << x.error;
  EXPECT_EQ(x.value->kind, instrument_kind::option);
  EXPECT_EQ(x.value->type, option_type::call);
  EXPECT_DOUBLE_EQ(x.value->strike, 60000);
  EXPECT_EQ(x.value->expiry_label(), "BTC-27MAR26");
}

TEST(Instrument, LinearSolOptionWithDecimalStrike) {
  auto x = parse_instrument("SOL_USDC-26JUN26-1d25-P");
  ASSERT_TRUE(x.value) << x.error;
  EXPECT_EQ(x.value->underlying, "SOL_USDC");
  EXPECT_EQ(x.value->base, "SOL");
  EXPECT_TRUE(x.value->linear);
  EXPECT_EQ(x.value->type, option_type::put);
  EXPECT_DOUBLE_EQ(x.value->strike, 1.25);
  EXPECT_EQ(x.value->expiry_label(), "SOL_USDC-26JUN26");
}

TEST(Instrument, Perpetuals) {
  for (auto name : {"BTC-PERPETUAL", "SOL_USDC-PERPETUAL"}) {
    auto x = parse_instrument(name);
    ASSERT_TRUE(x.value) << x.error;
    EXPECT_EQ(x.value->kind, instrument_kind::perpetual);
  }
}

TEST(Instrument, MalformedNamesGiveClearErrors) {
  struct bad_case {
    const char* name;
    const char* error;
  };
  const bad_case cases[] = {
    {"", "instrument '': expected UNDERLYING-EXPIRY, UNDERLYING-PERPETUAL or UNDERLYING-EXPIRY-STRIKE-C|P"},
    {"BTC", "instrument 'BTC': expected UNDERLYING-EXPIRY, UNDERLYING-PERPETUAL or UNDERLYING-EXPIRY-STRIKE-C|P"},
    {"BTC-27MAR26-60000", "instrument 'BTC-27MAR26-60000': expected UNDERLYING-EXPIRY, UNDERLYING-PERPETUAL or UNDERLYING-EXPIRY-STRIKE-C|P"},
    {"btc-27MAR26", "instrument 'btc-27MAR26': underlying 'btc' is not of the form BTC or SOL_USDC"},
    {"BTC-32MAR26", "instrument 'BTC-32MAR26': expiry '32MAR26' has no such day"},
    {"BTC-29FEB25", "instrument 'BTC-29FEB25': expiry '29FEB25' has no such day"},
    {"BTC-27MRZ26", "instrument 'BTC-27MRZ26': expiry '27MRZ26' has an unknown month 'MRZ'"},
    {"BTC-2026-03-27", "instrument 'BTC-2026-03-27': expiry '2026' is not DMMMYY"},
    {"BTC-MAR26", "instrument 'BTC-MAR26': expiry 'MAR26' is not DMMMYY"},
    {"BTC-27MAR26-60000-X", "instrument 'BTC-27MAR26-60000-X': option type 'X' is not C or P"},
    {"BTC-27MAR26-6e4-C", "instrument 'BTC-27MAR26-6e4-C': strike '6e4' is not a positive number (decimal point written as d)"},
    {"SOL_USDC-26JUN26-1d-C", "instrument 'SOL_USDC-26JUN26-1d-C': strike '1d' is not a positive number (decimal point written as d)"},
    {"BTC-27MAR26-0-P", "instrument 'BTC-27MAR26-0-P': strike '0' is not a positive number (decimal point written as d)"},
  };
  for (const auto& c : cases) {
    auto x = parse_instrument(c.name);
    EXPECT_FALSE(x.value) << c.name;
    EXPECT_EQ(x.error, c.error);
    EXPECT_FALSE(parse_option_key(c.name)) << c.name;
  }
}

TEST(Instrument, OptionKeysAreParseInstrumentsFields) {
  for (const auto* name : {"BTC-27MAR26-60000-C", "BTC-3APR26-75000-P", "SOL_USDC-26JUN26-1d25-P"}) {
    auto x = parse_instrument(name);
    auto key = parse_option_key(name);
    ASSERT_TRUE(x.value && key) << name;
    EXPECT_EQ(key->label(name), x.value->expiry_label());
    EXPECT_EQ(key->expiry, x.value->expiry);
    EXPECT_EQ(key->strike, x.value->strike);
    EXPECT_EQ(key->type, x.value->type);
    EXPECT_EQ(key->linear, x.value->linear);
  }
  EXPECT_FALSE(parse_option_key("BTC-27MAR26"));      // a future
  EXPECT_FALSE(parse_option_key("BTC-PERPETUAL"));
}

TEST(Instrument, QuarterliesAreLastFridaysOfQuarterMonths) {
  for (auto name : {"BTC-28MAR25", "BTC-27JUN25", "BTC-26SEP25", "BTC-26DEC25", "BTC-27MAR26", "BTC-26JUN26",
                    "BTC-25SEP26", "BTC-25DEC26", "BTC-26MAR27", "BTC-25JUN27"})
    EXPECT_TRUE(is_quarterly(parse_instrument(name).value->expiry)) << name;
  // weeklies, monthlies (last Fridays of other months), a non-last Friday in March, a Saturday
  for (auto name : {"BTC-10JAN25", "BTC-17JAN25", "BTC-31JAN25", "BTC-28FEB25", "BTC-20MAR26", "BTC-24APR26",
                    "BTC-29MAR25"})
    EXPECT_FALSE(is_quarterly(parse_instrument(name).value->expiry)) << name;
}

TEST(Instrument, RealInstrumentExpiriesMatchTheNames) {
  auto rows = test::load_rows("deribit_get_instruments_future_btc_2025-01-06.json", codec::decode_instruments);
  ASSERT_EQ(rows.size(), 9u);
  for (const auto& row : rows) {
    auto x = parse_instrument(row.instrument_name);
    ASSERT_TRUE(x.value) << x.error;
    if (x.value->kind == instrument_kind::future) {
      EXPECT_EQ(x.value->expiry, row.expiration_time) << row.instrument_name;
    }
  }
}

TEST(Instrument, ListedExpiryWinsAndTheDisagreementIsReported) {
  expiry_table table;
  table.add("BTC-28MAR25", from_unix_ms(1743148800000 + 3'600'000));   // listed an hour later
  auto x = *parse_instrument("BTC-28MAR25").value;
  EXPECT_TRUE(table.apply(x));
  EXPECT_EQ(to_unix_ms(x.expiry), 1743148800000 + 3'600'000);
  auto y = *parse_instrument("BTC-27JUN25").value;
  EXPECT_FALSE(table.apply(y));
  EXPECT_EQ(y.expiry, expiry_at(2025, 6, 27));
}

TEST(Currency, DvolIsListedForBtcAndEthOnly) {
  EXPECT_TRUE(find_currency("BTC")->has_dvol);
  EXPECT_TRUE(find_currency("ETH")->has_dvol);
  EXPECT_FALSE(find_currency("SOL")->has_dvol);   // Deribit has no SOL DVOL
}
