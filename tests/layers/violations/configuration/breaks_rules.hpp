// Fixture for layers_selftest.
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>
