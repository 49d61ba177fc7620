// The one duration text: whole seconds bare, otherwise the shortest decimal at millisecond resolution.
#include "runtime/duration_text.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using derivcache::runtime::seconds_text;

TEST(SecondsText, WholeSecondsHaveNoFraction) {
  EXPECT_EQ(seconds_text(75s), "75s");
  EXPECT_EQ(seconds_text(0s), "0s");
  EXPECT_EQ(seconds_text(5min), "300s");
}

TEST(SecondsText, FractionsAreShortestAtMillisecondResolution) {
  EXPECT_EQ(seconds_text(1500ms), "1.5s");
  EXPECT_EQ(seconds_text(800ms), "0.8s");
  EXPECT_EQ(seconds_text(5ms), "0.005s");
  EXPECT_EQ(seconds_text(1234567us), "1.234s");   // truncated to the millisecond
  EXPECT_EQ(seconds_text(999us), "0s");
}
