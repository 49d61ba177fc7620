// derivcache-inspect: query a running engine's introspection actor (see apps/inspect.hpp).
#include "apps/inspect.hpp"

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  using namespace derivcache::apps;
  const int code = run_inspect({argv + 1, argv + argc}, std::cout, std::cerr);
  if (code == inspect_failed) {
    std::cout.flush();
    std::_Exit(code);   // the actor system was left running: do not wait for it on the way out
  }
  return code;
}
