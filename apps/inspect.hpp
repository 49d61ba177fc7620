// `derivcache-inspect`: query a running engine's introspection actor over CAF's remote-actor protocol.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

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

} // namespace derivcache::apps
