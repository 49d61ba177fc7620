// `derivcache run`: the engine launched from a config file, until SIGINT/SIGTERM.
#pragma once

#include "actors/engine.hpp"

#include <caf/settings.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace derivcache::apps {

/// Builds the engine configuration from CAF's parsed settings (command line over file) and the config
/// file as written, checking every value; each problem names its key. Unset keys keep their defaults.
actors::engine_config make_engine_config(const caf::settings& content, const caf::settings& file,
                                         std::vector<std::string>& problems);

/// Runs the command with the arguments after "run"; returns the exit code (0; 2 on bad configuration).
int run_engine_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace derivcache::apps
