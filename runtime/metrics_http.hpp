// The HTTP server side of the metrics endpoint: each request becomes a message to the endpoint actor.
#pragma once

#include "messages/interfaces.hpp"
#include "net/http_server.hpp"

namespace derivcache::runtime {

/// The handler that forwards each request to `endpoint`; the actor replies through the callback.
net::http_server::handler metrics_http_handler(messages::metrics_endpoint_actor endpoint);

} // namespace derivcache::runtime
