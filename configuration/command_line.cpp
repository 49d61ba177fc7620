// Boolean keys and readable errors on the command line.
#include "configuration/command_line.hpp"

#include "configuration/keys.hpp"

#include <caf/actor_system_config.hpp>

#include <charconv>

namespace derivcache::configuration {

namespace {

struct argument {
  std::string name;    ///< without the leading "--"
  bool has_value = false;
  std::string value;
};

argument split(const std::string& arg) {
  argument out;
  if (arg.rfind("--", 0) != 0)
    return out;
  auto eq = arg.find('=');
  out.name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
  out.has_value = eq != std::string::npos;
  if (out.has_value)
    out.value = arg.substr(eq + 1);
  return out;
}

std::string form(const key_spec& spec) {
  const std::string flag = std::string{"--"} + spec.key;
  if (spec.kind == value_kind::boolean)
    return flag + " or " + flag + "=true|false";
  return flag + "=" + default_text(spec);
}

// "[7.0, 0.25]": CAF reads an integer item as an integer, which a list of doubles refuses.
std::string reals_text(const std::vector<double>& xs) {
  std::string out = "[";
  for (double x : xs) {
    char buf[32];
    std::string item{buf, std::to_chars(buf, buf + sizeof buf, x).ptr};
    if (item.find_first_of(".en") == std::string::npos)
      item += ".0";
    out += (out.size() > 1 ? ", " : "") + item;
  }
  return out + "]";
}

} // namespace

command_line prepare_command_line(const std::vector<std::string>& args, std::vector<std::string>& problems) {
  command_line out;
  for (const auto& arg : args) {
    auto a = split(arg);
    auto spec = a.has_value ? find_key(a.name) : nullptr;
    std::vector<double> numbers;
    if (spec && spec->kind == value_kind::number_list) {
      if (parse_number_list(a.value, numbers).empty())
        out.args.push_back("--" + a.name + "=" + reals_text(numbers));
      else
        problems.push_back(arg + ": expected " + to_string(spec->kind) + " (" + form(*spec) + ")");
    } else if (!spec || spec->kind != value_kind::boolean)
      out.args.push_back(arg);
    else if (a.value == "true")
      out.args.push_back("--" + a.name);
    else if (a.value == "false")
      out.flags_off.push_back(a.name);
    else
      problems.push_back(arg + ": expected true or false (" + form(*spec) + ")");
  }
  return out;
}

void apply_flags_off(const command_line& cl, caf::settings& content) {
  for (const auto& key : cl.flags_off)
    caf::put(content, key, false);
}

std::string command_line_error(const caf::config_option_set& options, const std::vector<std::string>& args,
                               const caf::error& err) {
  caf::settings scratch;
  auto [code, pos] = options.parse(scratch, args);
  if (code == caf::pec::success || pos == args.end())
    return caf::actor_system_config::render(err);
  const auto a = split(*pos);
  if (auto spec = find_key(a.name))
    return *pos + ": expected " + to_string(spec->kind) + " (" + form(*spec) + ")";
  if (code == caf::pec::not_an_option)
    return "unknown option '" + *pos + "' (keys are --section.key=value, see --help)";
  return *pos + ": " + caf::to_string(code);
}

} // namespace derivcache::configuration
