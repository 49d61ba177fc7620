// Test helpers for metrics: a strict parser for the Prometheus text format 0.0.4 (every problem is a test
// failure naming the line) and the reasons of a /healthz body.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace derivcache::test {

struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct prom_text {
  std::map<std::string, std::string> types;   ///< family -> counter | gauge | histogram
  std::map<std::string, std::string> help;
  std::vector<prom_sample> samples;

  /// The value of the one sample `name` with exactly `labels`; fails the test when absent.
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels)
        return s.value;
    ADD_FAILURE() << "no sample " << name;
    return std::nan("");
  }

  bool has(const std::string& name, const std::map<std::string, std::string>& labels) const {
    return std::any_of(samples.begin(), samples.end(),
                       [&](const prom_sample& s) { return s.name == name && s.labels == labels; });
  }
};

inline bool parse_value(const std::string& text, double& out) {
  if (text == "+Inf" || text == "Inf") {
    out = HUGE_VAL;
    return true;
  }
  if (text == "-Inf") {
    out = -HUGE_VAL;
    return true;
  }
  if (text == "NaN") {
    out = std::nan("");
    return true;
  }
  static const std::regex number{R"([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)"};
  if (!std::regex_match(text, number))
    return false;
  out = std::stod(text);
  return true;
}

/// The family a sample belongs to: histogram series add _bucket, _sum, _count to the family name.
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      auto base = name.substr(0, name.size() - s.size());
      auto t = types.find(base);
      if (t != types.end() && t->second == "histogram")
        return base;
    }
  }
  return name;
}

/// Parses and validates; every problem is a test failure naming the line.
inline prom_text parse_prometheus(const std::string& text) {
  prom_text out;
  static const std::regex metric_name{R"([a-zA-Z_:][a-zA-Z0-9_:]*)"};
  static const std::regex label_name{R"([a-zA-Z_][a-zA-Z0-9_]*)"};
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "exposition must end with a newline";
  std::set<std::string> finished;   // families whose samples are complete (another family started)
  std::string current;
  std::set<std::string> series;
  std::istringstream in{text};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto where = "line " + std::to_string(n) + ": '" + line + "'";
    EXPECT_FALSE(line.empty()) << where << " empty line";
    if (line.empty())
      continue;
    if (line[0] == '#') {
      std::istringstream ls{line};
      std::string hash, keyword, name;
      ls >> hash >> keyword >> name;
      EXPECT_EQ(hash, "#") << where;
      EXPECT_TRUE(std::regex_match(name, metric_name)) << where << " bad metric name";
      if (keyword == "TYPE") {
        std::string type, rest;
        ls >> type;
        EXPECT_FALSE(ls >> rest) << where << " trailing text";
        EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram" || type == "summary"
                    || type == "untyped")
          << where;
        EXPECT_EQ(out.types.count(name), 0u) << where << " second TYPE line";
        for (const auto& s : out.samples)
          EXPECT_NE(family_of(s.name, out.types), name) << where << " TYPE after a sample of its family";
        out.types[name] = type;
      } else if (keyword == "HELP") {
        EXPECT_EQ(out.help.count(name), 0u) << where << " second HELP line";
        const auto prefix = "# HELP " + name + " ";
        EXPECT_EQ(line.rfind(prefix, 0), 0u) << where;
        out.help[name] = line.size() > prefix.size() ? line.substr(prefix.size()) : "";
      } else {
        ADD_FAILURE() << where << " unexpected comment";
      }
      continue;
    }
    // sample: name [ '{' label="value" (',' label="value")* '}' ] ' ' value
    prom_sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
      ++i;
    s.name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(s.name, metric_name)) << where << " bad metric name";
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string::npos) {
          ADD_FAILURE() << where << " label without '='";
          return out;
        }
        auto key = line.substr(i, eq - i);
        EXPECT_TRUE(std::regex_match(key, label_name)) << where << " bad label name '" << key << "'";
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') {
          ADD_FAILURE() << where << " label value not quoted";
          return out;
        }
        ++i;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size())
              break;
            char e = line[i++];
            if (e == '\\')
              value += '\\';
            else if (e == '"')
              value += '"';
            else if (e == 'n')
              value += '\n';
            else
              ADD_FAILURE() << where << " bad escape \\" << e;
            continue;
          }
          value += c;
        }
        EXPECT_TRUE(closed) << where << " unterminated label value";
        EXPECT_EQ(s.labels.count(key), 0u) << where << " duplicate label";
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i < line.size() && line[i] != '}') {
          ADD_FAILURE() << where << " expected ',' or '}'";
          return out;
        }
      }
      EXPECT_LT(i, line.size()) << where << " unterminated label set";
      ++i;
    }
    EXPECT_TRUE(i < line.size() && line[i] == ' ') << where << " expected one space before the value";
    const auto value_text = i < line.size() ? line.substr(i + 1) : "";
    EXPECT_TRUE(parse_value(value_text, s.value)) << where << " bad value '" << value_text << "'";

    const auto family = family_of(s.name, out.types);
    EXPECT_EQ(out.types.count(family), 1u) << where << " sample before its family's TYPE line";
    if (family != current) {
      EXPECT_EQ(finished.count(family), 0u) << where << " family's samples are not contiguous";
      if (!current.empty())
        finished.insert(current);
      current = family;
    }
    std::ostringstream key;
    key << s.name;
    for (const auto& [k, v] : s.labels)
      key << '|' << k << '=' << v;
    EXPECT_TRUE(series.insert(key.str()).second) << where << " duplicate series";
    out.samples.push_back(std::move(s));
  }
  // Histograms: per label set, buckets ascending by le, cumulative, ending in +Inf equal to _count; _sum present.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram")
      continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    std::set<std::map<std::string, std::string>> sums;
    for (const auto& s : out.samples) {
      if (family_of(s.name, out.types) != family)
        continue;
      auto labels = s.labels;
      if (s.name == family + "_bucket") {
        auto le = labels.find("le");
        if (le == labels.end()) {
          ADD_FAILURE() << family << " bucket without le";
          continue;
        }
        double bound = 0;
        EXPECT_TRUE(parse_value(le->second, bound)) << family << " bad le " << le->second;
        labels.erase(le);
        buckets[labels].emplace_back(bound, s.value);
      } else if (s.name == family + "_count") {
        counts[labels] = s.value;
      } else if (s.name == family + "_sum") {
        sums.insert(labels);
      } else {
        ADD_FAILURE() << family << ": sample " << s.name << " is not a histogram series";
      }
    }
    EXPECT_FALSE(buckets.empty()) << family << " has no buckets";
    for (const auto& [labels, bs] : buckets) {
      for (std::size_t k = 1; k < bs.size(); ++k) {
        EXPECT_LT(bs[k - 1].first, bs[k].first) << family << " buckets not ascending";
        EXPECT_LE(bs[k - 1].second, bs[k].second) << family << " buckets not cumulative";
      }
      EXPECT_TRUE(std::isinf(bs.back().first)) << family << " last bucket is not +Inf";
      EXPECT_EQ(counts.count(labels), 1u) << family << " has no _count";
      if (counts.count(labels) == 1) {
        EXPECT_EQ(bs.back().second, counts[labels]) << family << " +Inf bucket differs from _count";
      }
      EXPECT_EQ(sums.count(labels), 1u) << family << " has no _sum";
    }
  }
  return out;
}

/// The reasons of a /healthz body; `status` gets its "status".
inline std::vector<std::string> json_reasons(const std::string& body, std::string& status) {
  auto v = boost::json::parse(body);
  status = std::string{v.at("status").as_string()};
  std::vector<std::string> out;
  for (const auto& r : v.at("reasons").as_array())
    out.emplace_back(r.as_string());
  return out;
}

} // namespace derivcache::test
