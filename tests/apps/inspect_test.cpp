// `derivcache-inspect` arguments: usage, help and every usage error with its message and exit code.
// Talking to a live engine is tested on the real binary in tests/e2e/introspection_test.cpp.
#include "apps/inspect.hpp"

#include <gtest/gtest.h>
#include <sstream>

using derivcache::apps::run_inspect;

namespace {

struct outcome {
  int code;
  std::string out;
  std::string err;
};

outcome inspect(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_inspect(args, out, err);
  return {code, out.str(), err.str()};
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& message) {
  auto r = inspect(args);
  EXPECT_EQ(r.code, derivcache::apps::inspect_usage_error) << message;
  EXPECT_EQ(r.err, "derivcache-inspect: " + message + "\n");
  EXPECT_EQ(r.out, "");
}

} // namespace

TEST(InspectCommand, HelpPrintsTheUsageWherever) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"127.0.0.1", "--help", "bogus"}}) {
    auto r = inspect(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, derivcache::apps::inspect_help);
    EXPECT_EQ(r.err, "");
  }
  EXPECT_NE(std::string{derivcache::apps::inspect_help}.find("Exit codes: 0 ok, 1 cannot connect"), std::string::npos);
}

TEST(InspectCommand, HostAndPortAreRequired) {
  expect_usage_error({}, "expected HOST PORT [command] (see --help)");
  expect_usage_error({"127.0.0.1"}, "expected HOST PORT [command] (see --help)");
  expect_usage_error({"127.0.0.1", "4242", "status", "extra"}, "expected HOST PORT [command] (see --help)");
}

TEST(InspectCommand, PortMustBeAPortNumber) {
  for (const std::string port : {"x", "42x", "0", "-1", "65536"})
    expect_usage_error({"127.0.0.1", port}, "PORT '" + port + "' is not a port number");
}

TEST(InspectCommand, UnknownCommandListsTheKnownOnes) {
  expect_usage_error({"127.0.0.1", "4242", "bogus"},
                     "unknown command 'bogus' (status, cache, actors, feed, store, watch, refresh, record)");
  // Options may come first; a valued option takes the next argument.
  expect_usage_error({"--json", "--timeout", "3", "127.0.0.1", "4242", "Status"},
                     "unknown command 'Status' (status, cache, actors, feed, store, watch, refresh, record)");
}

TEST(InspectCommand, BadOptionsAreNamed) {
  expect_usage_error({"127.0.0.1", "4242", "--bogus", "1"}, "unknown option '--bogus' (see --help)");
  expect_usage_error({"127.0.0.1", "4242", "--json=yes"}, "--json takes no value (see --help)");
  expect_usage_error({"127.0.0.1", "4242", "--timeout"}, "--timeout needs a value (see --help)");
}

TEST(InspectCommand, RecordNeedsKindIdAndSymbol) {
  expect_usage_error({"127.0.0.1", "4242", "record"}, "record needs --kind, --id and --symbol");
  expect_usage_error({"127.0.0.1", "4242", "record", "--kind", "order", "--id=o-1"},
                     "record needs --kind, --id and --symbol");
}

TEST(InspectCommand, TlsFilesGoTogether) {
  const std::string message = "--tls-cert, --tls-key and --tls-ca go together (all three or none)";
  expect_usage_error({"127.0.0.1", "4242", "--tls-cert", "node.pem"}, message);
  expect_usage_error({"127.0.0.1", "4242", "--tls-cert", "node.pem", "--tls-key=node.key"}, message);
}
