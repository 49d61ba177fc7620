// Boost.JSON compiled header-only into each fuzz target, so the parser is instrumented too.
#include <boost/json/src.hpp>
