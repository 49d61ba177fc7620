// The command line around CAF 0.17's parser: boolean keys as --key, --key=true or --key=false, and errors
// that name the argument and the form it takes.
#pragma once

#include <caf/config_option_set.hpp>
#include <caf/error.hpp>
#include <caf/settings.hpp>

#include <string>
#include <vector>

namespace derivcache::configuration {

/// The arguments as CAF takes them: CAF accepts a boolean only as the bare flag, so `--key=true` becomes
/// `--key` and `--key=false` is taken out, to be set after parsing (apply_flags_off).
struct command_line {
  std::vector<std::string> args;        ///< for caf::actor_system_config::parse
  std::vector<std::string> flags_off;   ///< boolean keys given as `=false`
};

/// Prepares `args`; a boolean key with a value other than true or false adds a line to `problems`
/// naming the argument and its forms. A list of numbers (`--surface.tenors=[7,30]` or `=7,30`) is
/// rewritten with every item a real, the only form CAF's parser takes for a list of doubles; one that is
/// not a list of numbers adds a line to `problems`.
command_line prepare_command_line(const std::vector<std::string>& args, std::vector<std::string>& problems);

/// Sets the `=false` booleans in CAF's parsed settings (the command line wins over the file).
void apply_flags_off(const command_line& cl, caf::settings& content);

/// Why CAF refused `args` (with `err`): the argument and the form it takes, e.g.
/// "--deribit.interval=soon: expected a duration such as 300s or 5min (--deribit.interval=300s)".
std::string command_line_error(const caf::config_option_set& options, const std::vector<std::string>& args,
                               const caf::error& err);

} // namespace derivcache::configuration
