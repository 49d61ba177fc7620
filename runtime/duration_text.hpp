// The one way durations are written in logs, statuses and health reasons.
#pragma once

#include <chrono>
#include <string>

namespace derivcache::runtime {

/// Seconds at millisecond resolution (truncated), shortest form: "75s", "1.5s", "0.005s", "0s".
std::string seconds_text(std::chrono::nanoseconds d);

} // namespace derivcache::runtime
