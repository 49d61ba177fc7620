// derivcache's error codes.
#include "messages/errors.hpp"

#include "messages/fetch_outcome.hpp"

#include <caf/message.hpp>

namespace derivcache::messages {

std::string to_string(errc x) {
  for (const auto& o : fetch_outcomes)
    if (o.code == x && x != errc{})
      return o.label;
  switch (x) {
    case errc::forbidden: return "forbidden";
    case errc::capacity: return "capacity";
    case errc::storage_failure: return "storage_failure";
    default: break;
  }
  return "unknown";
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() != caf::atom("derivcache"))
    return caf::to_string(err);
  std::string out = to_string(static_cast<errc>(err.code()));
  const auto& ctx = err.context();
  for (std::size_t i = 0; i < ctx.size(); ++i)
    if (ctx.match_element<std::string>(i))
      out += ": " + ctx.get_as<std::string>(i);
  return out;
}

} // namespace derivcache::messages
