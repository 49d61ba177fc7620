// Fixture for layers_selftest: net may use Boost.Asio.
#include <boost/asio/io_context.hpp>
