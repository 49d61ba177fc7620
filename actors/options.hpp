// derivcache's configuration keys: one table drives the CLI options, the config-file check, the help and
// the engine configuration. A host application calls derivcache::add_options() from its actor_system_config.
#pragma once

#include "actors/engine.hpp"

#include <caf/config_option_set.hpp>
#include <caf/settings.hpp>

#include <string>
#include <vector>

namespace derivcache::actors {

enum class value_kind { string, duration, integer, number, boolean, string_list };

/// One configuration key, e.g. "deribit.interval".
struct option_spec {
  const char* key;
  value_kind kind;
  const char* default_text;   ///< as written in an INI file
  const char* help;
};

/// Every key derivcache reads, in documentation order.
const std::vector<option_spec>& option_specs();

/// The sections derivcache owns; keys in them must be known. Other sections belong to CAF.
bool is_derivcache_section(const std::string& section);

/// Declares every key (unbound) so the command line accepts `--deribit.interval=60s` etc.
void add_options(caf::config_option_set& options);

/// Checks a parsed config file against the schema: unknown keys and values of the wrong type
/// (which CAF would silently ignore). Each problem names the key.
std::vector<std::string> check_settings(const caf::settings& file);

/// Parses a config file and checks it; a parse error names the line and column.
std::vector<std::string> check_config_file(const std::string& path);

std::string to_string(value_kind kind);

/// Builds the engine configuration from CAF's parsed settings (command line over file) and the config
/// file as written (CAF drops INI values whose type differs from the declared one), checking every
/// value; each problem names its key. Unset keys keep their defaults.
engine_config make_engine_config(const caf::settings& content, const caf::settings& file,
                                 std::vector<std::string>& problems);

} // namespace derivcache::actors

namespace derivcache {

/// For host applications: call from your actor_system_config constructor (custom_options_ is protected
/// in CAF 0.17), e.g. `derivcache::add_options(custom_options_);`.
using actors::add_options;

} // namespace derivcache
