// Origin parsing: the forms the configuration accepts and the errors for everything else.
#include "configuration/url.hpp"

#include <gtest/gtest.h>

using derivcache::configuration::parse_url;

TEST(Url, ParsesHostPortAndPrefix) {
  std::string error;
  auto u = parse_url("https://127.0.0.1:8443/api/v2/", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->prefix, "/api/v2");
  EXPECT_TRUE(u->host_is_ip);
}

TEST(Url, DefaultsToPort443AndLowerCasesHost) {
  std::string error;
  auto u = parse_url("https://WWW.Deribit.com", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "www.deribit.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->prefix, "");
  EXPECT_FALSE(u->host_is_ip);
}

TEST(Url, ParsesWss) {
  std::string error;
  auto u = parse_url("wss://stream.binance.com:9443/ws", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->scheme, "wss");
  EXPECT_EQ(u->port, "9443");
  EXPECT_EQ(u->prefix, "/ws");
}

TEST(Url, RejectsPlainHttp) {
  std::string error;
  EXPECT_FALSE(parse_url("http://www.deribit.com", error));
  EXPECT_NE(error.find("scheme must be https or wss"), std::string::npos) << error;
}

TEST(Url, RejectsMissingScheme) {
  std::string error;
  EXPECT_FALSE(parse_url("www.deribit.com", error));
  EXPECT_NE(error.find("www.deribit.com"), std::string::npos) << error;
}

TEST(Url, RejectsIpv6Literal) {
  std::string error;
  EXPECT_FALSE(parse_url("https://[::1]:443", error));
  EXPECT_NE(error.find("IPv6"), std::string::npos) << error;
}

TEST(Url, RejectsBadPorts) {
  std::string error;
  EXPECT_FALSE(parse_url("https://localhost:0", error));
  EXPECT_FALSE(parse_url("https://localhost:65536", error));
  EXPECT_FALSE(parse_url("https://localhost:https", error));
  EXPECT_FALSE(parse_url("https://localhost:", error));
  EXPECT_NE(error.find("port"), std::string::npos) << error;
}

TEST(Url, RejectsBadHosts) {
  std::string error;
  EXPECT_FALSE(parse_url("https://:443", error));
  EXPECT_NE(error.find("missing host"), std::string::npos) << error;
  EXPECT_FALSE(parse_url("https://999.1.1.1", error));
  EXPECT_NE(error.find("IPv4"), std::string::npos) << error;
  EXPECT_FALSE(parse_url("https://bad_host.example", error));
  EXPECT_FALSE(parse_url("https://user@host", error));
  EXPECT_FALSE(parse_url("https://host/path?x=1", error));
}
