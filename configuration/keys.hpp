// The INI/CLI keys: one table binds each key to its field in engine_config and drives the CLI options,
// the config-file check, the help text and reading the settings into the structs.
#pragma once

#include "configuration/engine_config.hpp"
#include "configuration/validate.hpp"

#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include <functional>
#include <string>
#include <vector>

namespace derivcache::configuration {

enum class value_kind { string, duration, integer, number, boolean, string_list, number_list };

/// "a quoted string", "a duration such as 300s or 5min", ...
std::string to_string(value_kind kind);

/// One configuration key, e.g. "deribit.interval", and where it lives in engine_config.
struct key_spec {
  const char* key;
  value_kind kind;
  const char* help;
  /// The key's value in `cfg` as written in an INI file.
  std::function<std::string(const engine_config& cfg)> text;
  /// Stores `value` (of any type) in `cfg`; returns why it could not, if it could not.
  std::function<std::vector<std::string>(engine_config& cfg, const caf::config_value& value)> store;
};

/// Every key derivcache reads, in documentation order.
const std::vector<key_spec>& keys();

/// The key's value in a default-constructed engine_config, as written in an INI file ("300s").
std::string default_text(const key_spec& spec);

/// The spec of `key` ("deribit.interval"), or null.
const key_spec* find_key(const std::string& key);

/// The sections derivcache owns; keys in them must be known. Other sections belong to CAF.
bool is_derivcache_section(const std::string& section);

/// Declares every key (unbound) so the command line accepts `--deribit.interval=60s` etc.
void add_options(caf::config_option_set& options);

/// Checks a parsed config file against the keys: unknown keys and values of the wrong type (which CAF
/// would silently ignore).
std::vector<problem> check_settings(const caf::settings& file);

/// Parses a config file and checks it; each line names the file, and a parse error names the line.
std::vector<std::string> check_config_file(const std::string& path);

/// A list of numbers as a user writes it on a command line ("7,30,90" or "[7, 30, 90]"), parsed like a
/// number_list key; why it is not one, or empty.
std::string parse_number_list(const std::string& text, std::vector<double>& out);

/// Reads CAF's parsed settings (command line over file) and the config file as written (CAF drops INI
/// values whose type differs from the declared one) into an engine_config, then validates it. Unset keys
/// keep their defaults; `problems` gets every value of the wrong type and every validate() problem.
engine_config from_settings(const caf::settings& content, const caf::settings& file, std::vector<problem>& problems);

} // namespace derivcache::configuration

namespace derivcache {

/// For host applications: call from your actor_system_config constructor (custom_options_ is protected
/// in CAF 0.17), e.g. `derivcache::add_options(custom_options_);`.
using configuration::add_options;

} // namespace derivcache
