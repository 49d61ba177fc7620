// Fixture for layers_selftest: each line below breaks one quant rule.
#include <boost/optional.hpp>
#include <caf/fwd.hpp>
#include <sys/socket.h>
#include "messages/feed.hpp"
inline auto started = std::chrono::steady_clock::now();
