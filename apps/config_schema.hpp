// derivcache's configuration keys: one table drives the CLI options, the config-file check and the help.
#pragma once

#include <caf/config_option_set.hpp>
#include <caf/settings.hpp>

#include <string>
#include <vector>

namespace derivcache::apps {

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

} // namespace derivcache::apps
