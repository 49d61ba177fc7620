// Fixture for layers_selftest.
#include <caf/fwd.hpp>
#include "runtime/log.hpp"
