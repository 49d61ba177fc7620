// `derivcache run`: the engine launched from a config file, until SIGINT/SIGTERM.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace derivcache::apps {

/// Runs the command with the arguments after "run"; returns the exit code (0; 2 on bad configuration).
int run_engine_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace derivcache::apps
