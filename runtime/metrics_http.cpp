// Metrics HTTP handler.
#include "runtime/metrics_http.hpp"

#include <caf/send.hpp>

namespace derivcache::runtime {

net::http_server::handler metrics_http_handler(messages::metrics_endpoint_actor endpoint) {
  return [endpoint = std::move(endpoint)](net::request_view request, net::http_server::reply_fn reply) {
    // Runs on the I/O thread: only builds a message for the actor.
    messages::http_call call;
    call.path = std::move(request.path);
    call.query = std::move(request.query);
    call.reply = [reply = std::move(reply)](unsigned status, std::string content_type, std::string body) {
      reply(net::response{status, std::move(content_type), std::move(body)});
    };
    caf::anon_send(endpoint, std::move(call));
  };
}

} // namespace derivcache::runtime
