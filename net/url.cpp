// Origin parsing for the HTTPS and WebSocket clients: host names and IPv4 literals only.
#include "net/url.hpp"

#include <boost/asio/ip/address_v4.hpp>

#include <algorithm>
#include <cctype>

namespace derivcache::net {

namespace {

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.')
    return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') {
      if (++label > 63)
        return false;
    } else {
      return false;
    }
  }
  return true;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::optional<url> parse_url(std::string_view text, std::string& error) {
  auto fail = [&](std::string_view why) -> std::optional<url> {
    error = "url '";
    error += text;
    error += "': ";
    error += why;
    return std::nullopt;
  };
  url out;
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return fail("expected https://host[:port][/prefix] or wss://...");
  std::string scheme{text.substr(0, sep)};
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "https" && scheme != "wss")
    return fail("scheme must be https or wss (plain http/ws is not supported)");
  out.scheme = scheme;
  auto rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("query and fragment are not allowed in an origin");
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    auto prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/')
      prefix.remove_suffix(1);
    out.prefix = std::string{prefix};
  }
  if (authority.find('@') != std::string_view::npos)
    return fail("user information is not allowed");
  if (!authority.empty() && authority.front() == '[')
    return fail("IPv6 literals are not supported");
  auto colon = authority.find(':');
  std::string_view host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    auto port = authority.substr(colon + 1);
    if (!all_digits(port) || port.size() > 5)
      return fail("port must be a number from 1 to 65535");
    auto value = std::stoul(std::string{port});
    if (value == 0 || value > 65535)
      return fail("port must be a number from 1 to 65535");
    out.port = std::to_string(value);
  } else {
    out.port = "443";
  }
  if (host.empty())
    return fail("missing host");
  out.host = std::string{host};
  std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  bool numeric = std::all_of(out.host.begin(), out.host.end(),
                             [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  if (numeric) {
    boost::system::error_code ec;
    boost::asio::ip::make_address_v4(out.host, ec);
    if (ec)
      return fail("'" + out.host + "' is not a valid IPv4 address");
    out.host_is_ip = true;
  } else if (!valid_host_name(out.host)) {
    return fail("'" + out.host + "' is not a valid host name");
  }
  return out;
}

} // namespace derivcache::net
