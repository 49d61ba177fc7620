// Fixture for layers_selftest.
#include <caf/settings.hpp>
