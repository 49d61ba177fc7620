// Fixture for layers_selftest: nothing here breaks a rule.
#include <chrono>
inline int lifetime(int x) { return x; } // steady_clock::now() in a comment
inline int expiry = lifetime(3);
