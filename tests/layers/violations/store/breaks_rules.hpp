// Fixture for layers_selftest.
#include "actors/engine.hpp"
