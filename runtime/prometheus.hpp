// Prometheus text exposition format 0.0.4 of a metrics snapshot: a pure function.
#pragma once

#include "runtime/metrics_snapshot.hpp"

#include <string>

namespace derivcache::runtime {

/// Renders # HELP, # TYPE and samples; histograms cumulative.
std::string render_prometheus(const metrics_snapshot& m);

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

/// Formats a sample value: shortest round-trip decimal, "+Inf", "-Inf" or "NaN".
std::string format_sample_value(double value);

} // namespace derivcache::runtime
