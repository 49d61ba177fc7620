// Origin parsing: the forms the configuration accepts and the errors for everything else.
#include "configuration/url.hpp"

#include <gtest/gtest.h>

using derivcache::configuration::parse_url;

namespace {

struct accepted_case {
  const char* text;
  const char* scheme;
  const char* host;
  const char* port;
  const char* prefix;
  bool host_is_ip;
};

struct rejected_case {
  const char* text;
  const char* error_part;  ///< a part of the error text
};

} // namespace

class UrlAccepts : public ::testing::TestWithParam<accepted_case> {};

TEST_P(UrlAccepts, SchemeHostPortAndPrefix) {
  const auto& c = GetParam();
  std::string error;
  auto u = parse_url(c.text, error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->scheme, c.scheme);
  EXPECT_EQ(u->host, c.host);
  EXPECT_EQ(u->port, c.port);
  EXPECT_EQ(u->prefix, c.prefix);
  EXPECT_EQ(u->host_is_ip, c.host_is_ip);
}

INSTANTIATE_TEST_SUITE_P(Url, UrlAccepts, ::testing::Values(
  accepted_case{"https://127.0.0.1:8443/api/v2/", "https", "127.0.0.1", "8443", "/api/v2", true},
  accepted_case{"https://WWW.Deribit.com", "https", "www.deribit.com", "443", "", false},
  accepted_case{"wss://stream.binance.com:9443/ws", "wss", "stream.binance.com", "9443", "/ws", false}));

class UrlRejects : public ::testing::TestWithParam<rejected_case> {};

TEST_P(UrlRejects, WithAnErrorNamingTheProblem) {
  const auto& c = GetParam();
  std::string error;
  EXPECT_FALSE(parse_url(c.text, error));
  EXPECT_NE(error.find(c.error_part), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Url, UrlRejects, ::testing::Values(
  rejected_case{"http://www.deribit.com", "scheme must be https or wss"},
  rejected_case{"www.deribit.com", "www.deribit.com"},
  rejected_case{"https://[::1]:443", "IPv6"},
  rejected_case{"https://localhost:0", "port"},
  rejected_case{"https://localhost:65536", "port"},
  rejected_case{"https://localhost:https", "port"},
  rejected_case{"https://localhost:", "port"},
  rejected_case{"https://:443", "missing host"},
  rejected_case{"https://999.1.1.1", "IPv4"},
  rejected_case{"https://bad_host.example", "not a valid host name"},
  rejected_case{"https://user@host", "user information"},
  rejected_case{"https://host/path?x=1", "query and fragment"}));
