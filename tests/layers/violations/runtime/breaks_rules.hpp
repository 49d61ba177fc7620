// Fixture for layers_selftest.
#include <caf/fwd.hpp>
#include "actors/engine.hpp"
