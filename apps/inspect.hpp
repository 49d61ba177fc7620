// `derivcache-inspect`: query a running engine's introspection actor over CAF's remote-actor protocol.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace derivcache::messages {
struct derivatives_view;
struct cache_contents;
} // namespace derivcache::messages

namespace derivcache::apps {

/// Exit codes of run_inspect.
constexpr int inspect_ok = 0;
constexpr int inspect_failed = 1;        ///< cannot connect, not a derivcache engine, or the request failed
constexpr int inspect_usage_error = 2;

/// Runs derivcache-inspect with its arguments (program name excluded); returns the exit code.
/// After inspect_failed the actor system it started is left running, because a peer that never
/// answered may keep the middleman's shutdown waiting: the caller should leave the process without
/// waiting for it (std::_Exit).
int run_inspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

extern const char* const inspect_help;

/// One currency on one line: basis and skew with state, age and lag (`watch` prints this per update); with
/// `json`, one object with the surface, the constant-maturity basis and the MFIV too.
void print_view(const messages::derivatives_view& v, bool json, std::ostream& out);

/// `cache`: per currency the line of print_view and the tables of its surface, constant-maturity basis and MFIV;
/// with `json`, an array of print_view's objects.
void print_cache(const messages::cache_contents& c, bool json, std::ostream& out);

} // namespace derivcache::apps
