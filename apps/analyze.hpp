// `derivcache analyze`: basis and skew from recorded Deribit files, printed as one JSON object.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace derivcache::apps {

/// Runs the command with the arguments after "analyze"; returns the process exit code (0, or 2 on bad input).
int run_analyze(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

extern const char* const analyze_help;

} // namespace derivcache::apps
