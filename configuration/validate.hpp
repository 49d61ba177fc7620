// The one check of an engine_config: the command line, the config file and start_engine all use it, so a
// host that fills the structs in code gets the same messages as `derivcache run`.
#pragma once

#include "configuration/engine_config.hpp"

#include <string>
#include <vector>

namespace derivcache::configuration {

/// One unusable value, named by its INI key ("deribit.interval").
struct problem {
  std::string key;
  std::string message;   ///< "must be a positive duration, got 0s"

  friend bool operator==(const problem& x, const problem& y) { return x.key == y.key && x.message == y.message; }
};

/// "deribit.interval: must be a positive duration, got 0s", as `derivcache run` prints it (after
/// "derivcache: "). A message that already starts with its key is the whole text.
std::string to_string(const problem& x);

/// One line per problem, joined by '\n'.
std::string to_string(const std::vector<problem>& xs);

/// Every problem of `cfg`, in key order; empty when the engine can start with it. Files named by
/// ca-file and tls-* keys must be readable.
std::vector<problem> validate(const engine_config& cfg);

/// The outcomes.horizons rules (whole seconds, at least 1s, no repeats, not empty); `texts[i]` is how
/// horizons[i] was written, for the messages.
std::vector<std::string> horizon_problems(const std::vector<caf::timespan>& horizons,
                                          const std::vector<std::string>& texts);

/// The surface.tenors and basis.tenors rules (positive days, no repeats, not empty), one message per problem.
std::vector<std::string> tenor_problems(const std::vector<double>& tenors);

/// The surface.deltas rules (each in (0, 0.5), no repeats, not empty).
std::vector<std::string> delta_problems(const std::vector<double>& deltas);

/// A duration as a user writes it: 0s, -1s, 500us, 5min, 1h.
std::string duration_text(caf::timespan t);

} // namespace derivcache::configuration
