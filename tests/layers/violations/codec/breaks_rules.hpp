// Fixture for layers_selftest.
#include <caf/fwd.hpp>
