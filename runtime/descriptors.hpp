// File descriptors: the engine raises its soft limit to the hard one and checks, at start-up, that what its
// listeners may hold leaves a reserve for the exchange clients and the store.
#pragma once

#include <cstdint>
#include <string>

namespace derivcache::runtime {

/// Raises the soft RLIMIT_NOFILE to the hard limit (as far as the kernel lets it) and returns the soft
/// limit then in force; 0 when it cannot be read.
uint64_t raise_descriptor_limit();

/// Descriptors kept for everything but the listeners' connections: the Deribit and Binance connections
/// (two each across a reconnect or rotation), the store, the log, CAF's and Asio's own.
inline constexpr uint64_t descriptor_reserve = 128;

} // namespace derivcache::runtime
