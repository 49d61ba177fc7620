// Command-line flags of the form --key value and --key=value.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace derivcache::apps {

struct parsed_flags {
  std::map<std::string, std::string> values;               ///< key without dashes -> value ("" for switches)
  std::map<std::string, std::vector<std::string>> lists;   ///< key -> its values, for the flags in `lists`
  std::string error;                                       ///< empty when parsing succeeded
};

/// Parses `args` against the known valued flags, switches and list flags (names without the leading "--").
/// A list flag takes every argument up to the next "--" (and its "=value", if given), at least one.
inline parsed_flags parse_flags(const std::vector<std::string>& args, const std::set<std::string>& valued,
                                const std::set<std::string>& switches, const std::set<std::string>& lists = {}) {
  parsed_flags out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      out.error = "unexpected argument '" + arg + "'";
      return out;
    }
    auto eq = arg.find('=');
    std::string key = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (switches.count(key)) {
      if (eq != std::string::npos) {
        out.error = "--" + key + " takes no value";
        return out;
      }
      out.values[key] = "";
      continue;
    }
    if (lists.count(key)) {
      auto& list = out.lists[key];
      if (eq != std::string::npos)
        list.push_back(arg.substr(eq + 1));
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
        list.push_back(args[++i]);
      if (list.empty()) {
        out.error = "--" + key + " needs at least one value";
        return out;
      }
      continue;
    }
    if (!valued.count(key)) {
      out.error = "unknown option '--" + key + "'";
      return out;
    }
    if (eq != std::string::npos) {
      out.values[key] = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      out.values[key] = args[++i];
    } else {
      out.error = "--" + key + " needs a value";
      return out;
    }
  }
  return out;
}

} // namespace derivcache::apps
