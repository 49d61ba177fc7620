// Query decoding as the HTTP servers use it.
#include "net/url.hpp"

#include <gtest/gtest.h>

using derivcache::net::percent_decode;

TEST(PercentDecode, PlusIsASpaceEscapesAreBytesMalformedEscapesStay) {
  EXPECT_EQ(percent_decode("a+b%20c"), "a b c");
  EXPECT_EQ(percent_decode("BTC%2dPERPETUAL%2F"), "BTC-PERPETUAL/");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode(""), "");
}
