// `derivcache export`: recorded snapshots and their outcomes as JSON lines, for notebooks.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::apps {

/// Runs the command with the arguments after "export"; returns the exit code (0; 2 on bad input).
int run_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// Unix milliseconds of an ISO 8601 UTC time: YYYY-MM-DD, YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS[.fff],
/// with an optional trailing Z; none for anything else (offsets other than Z included).
std::optional<int64_t> parse_iso8601_utc(const std::string& text);

extern const char* const export_help;

} // namespace derivcache::apps
