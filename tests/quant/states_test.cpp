// Basis and skew states at their boundaries.
#include "quant/states.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

using namespace derivcache::quant;

/// (value, state) pairs classified with the default thresholds.
template <class State, class Thresholds>
void expect_states(std::initializer_list<std::pair<std::optional<double>, State>> cases) {
  for (const auto& [value, state] : cases)
    EXPECT_EQ(classify(value, Thresholds{}), state) << (value ? std::to_string(*value) : "no value");
}

TEST(States, BasisBoundaries) {
  using s = basis_state;
  expect_states<s, basis_thresholds>({{20.0000001, s::extreme_contango}, {20.0, s::contango}, {10.0, s::contango},
                                      {9.9999999, s::neutral}, {-5.0, s::neutral}, {-5.0000001, s::backwardation},
                                      {std::nan(""), s::unknown}, {std::nullopt, s::unknown},
                                      {std::numeric_limits<double>::infinity(), s::extreme_contango}});
}

TEST(States, SkewBoundaries) {
  using s = skew_state;
  expect_states<s, skew_thresholds>({{10.0000001, s::extreme_fear}, {10.0, s::fear}, {5.0, s::fear},
                                     {4.9999999, s::neutral}, {-5.0, s::neutral}, {-5.0000001, s::greed},
                                     {std::nan(""), s::unknown}});
}

TEST(States, ClassifiesUnroundedValues) {
  // 9.99996 prints as 10.00 with two decimals but is still NEUTRAL.
  EXPECT_EQ(classify(9.99996, basis_thresholds{}), basis_state::neutral);
}

TEST(States, CustomThresholds) {
  basis_thresholds t{30, 15, 0};
  EXPECT_EQ(classify(20.0, t), basis_state::contango);
  EXPECT_EQ(classify(-0.1, t), basis_state::backwardation);
}

TEST(States, ThresholdsOutOfOrderAreRejectedWithTheirNames) {
  EXPECT_FALSE(validate(basis_thresholds{}));
  EXPECT_FALSE(validate(skew_thresholds{}));
  EXPECT_EQ(*validate(basis_thresholds{10, 20, -5}), "extreme_contango (10) must be greater than contango (20)");
  EXPECT_EQ(*validate(basis_thresholds{20, 10, 10}), "contango (10) must be greater than neutral (10)");
  EXPECT_EQ(*validate(skew_thresholds{10, 5, std::nan("")}), "neutral is not a finite number");
}

TEST(States, NamesRoundTrip) {
  for (auto s : {basis_state::unknown, basis_state::backwardation, basis_state::neutral, basis_state::contango,
                 basis_state::extreme_contango, basis_state::stale})
    EXPECT_EQ(parse_basis_state(to_string(s)), s);
  for (auto s : {skew_state::unknown, skew_state::greed, skew_state::neutral, skew_state::fear,
                 skew_state::extreme_fear, skew_state::stale})
    EXPECT_EQ(parse_skew_state(to_string(s)), s);
  EXPECT_EQ(to_string(basis_state::extreme_contango), "EXTREME_CONTANGO");
  EXPECT_EQ(to_string(skew_state::extreme_fear), "EXTREME_FEAR");
}
