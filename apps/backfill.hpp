// `derivcache backfill`: signal history from recorded Tardis.dev CSV files (docs/backfill.md).
#pragma once

#include <atomic>
#include <iosfwd>
#include <string>
#include <vector>

namespace derivcache::apps {

/// Runs the command with the arguments after "backfill"; returns the exit code (0; 2 on bad options or files;
/// 130 when `stop` ended it early, after a whole step). `terminal`: progress lines on `err`.
int run_backfill(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                 const std::atomic<bool>* stop = nullptr, bool terminal = false);

extern const char* const backfill_help;

} // namespace derivcache::apps
