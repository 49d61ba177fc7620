// BASP guard: an acceptor and its sessions on one strand; a session pipes upstream bytes as they come and
// client bytes frame by frame, checking each header before any of the frame is forwarded.
#include "net/basp_guard.hpp"

#include "net/listener.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <future>
#include <map>
#include <vector>

namespace derivcache::net {

uint32_t basp_payload_length(const unsigned char* header) {
  return (uint32_t{header[4]} << 24) | (uint32_t{header[5]} << 16) | (uint32_t{header[6]} << 8) | uint32_t{header[7]};
}

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using strand_type = asio::strand<asio::io_context::executor_type>;

class session;

// Shared by the guard and its sessions; touched on the strand only.
struct guard_core {
  explicit guard_core(asio::io_context& ioc) : strand(asio::make_strand(ioc)) {}

  strand_type strand;
  basp_guard_options options;
  std::shared_ptr<basp_guard_stats> stats = std::make_shared<basp_guard_stats>();
  tcp::endpoint upstream;
  std::map<session*, std::weak_ptr<session>> sessions;
  bool stopped = false;
};

using core_ptr = std::shared_ptr<guard_core>;

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket client, core_ptr core)
    : core_(std::move(core)), client_(std::move(client)), upstream_(core_->strand), deadline_(core_->strand) {}

  void start() {
    deadline_.expires_after(core_->options.handshake_timeout);
    deadline_.async_wait([self = shared_from_this()](error_code ec) { self->on_deadline(ec); });
    upstream_.async_connect(core_->upstream, [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    deadline_.cancel();
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
    core_->sessions.erase(this);
  }

private:
  void on_deadline(error_code ec) {
    if (ec || closed_ || (handshaken_ && !draining_))
      return;
    if (!handshaken_)
      ++core_->stats->closed_handshake_timeout;
    close();
  }

  void on_connect(error_code ec) {
    if (ec || closed_)
      return close();
    // Headers and payloads are written separately: Nagle would hold a frame's tail back.
    client_.set_option(tcp::no_delay(true), ec);
    upstream_.set_option(tcp::no_delay(true), ec);
    read_header();
    read_upstream();
  }

  void read_header() {
    asio::async_read(client_, asio::buffer(header_),
                     [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec == asio::error::eof && !closed_)
      return drain();
    if (ec || closed_)
      return close();
    remaining_ = basp_payload_length(header_.data());
    if (remaining_ > core_->options.max_payload) {
      ++core_->stats->closed_oversized;
      return close();
    }
    asio::async_write(upstream_, asio::buffer(header_),
                      [self = shared_from_this()](error_code sent, std::size_t) { self->on_forwarded(sent); });
  }

  // After a header or a payload chunk went upstream: more payload, or the next header.
  void on_forwarded(error_code ec) {
    if (ec || closed_)
      return close();
    if (remaining_ == 0) {
      handshaken_ = true;
      deadline_.cancel();
      return read_header();
    }
    const auto n = static_cast<std::size_t>(std::min<uint64_t>(remaining_, payload_.size()));
    client_.async_read_some(asio::buffer(payload_.data(), n), [self = shared_from_this()](error_code read, std::size_t got) {
      self->on_payload(read, got);
    });
  }

  void on_payload(error_code ec, std::size_t got) {
    if (ec || closed_)
      return close();
    remaining_ -= got;
    asio::async_write(upstream_, asio::buffer(payload_.data(), got),
                      [self = shared_from_this()](error_code sent, std::size_t) { self->on_forwarded(sent); });
  }

  // The client is done: pass its FIN on and let CAF close (closing now, with CAF's last bytes unread, would
  // reset the connection); CAF gets the handshake timeout to do so.
  void drain() {
    draining_ = true;
    error_code ignored;
    upstream_.shutdown(tcp::socket::shutdown_send, ignored);
    deadline_.expires_after(core_->options.handshake_timeout);
    deadline_.async_wait([self = shared_from_this()](error_code ec) { self->on_deadline(ec); });
  }

  void read_upstream() {
    upstream_.async_read_some(asio::buffer(downstream_), [self = shared_from_this()](error_code ec, std::size_t got) {
      self->on_upstream(ec, got);
    });
  }

  void on_upstream(error_code ec, std::size_t got) {
    if (ec || closed_)
      return close();
    asio::async_write(client_, asio::buffer(downstream_.data(), got), [self = shared_from_this()](error_code sent, std::size_t) {
      if (sent || self->closed_)
        return self->close();
      self->read_upstream();
    });
  }

  core_ptr core_;
  tcp::socket client_;
  tcp::socket upstream_;
  asio::steady_timer deadline_;
  std::array<unsigned char, basp_header_size> header_{};
  std::array<unsigned char, 16 * 1024> payload_{};
  std::array<unsigned char, 16 * 1024> downstream_{};
  uint64_t remaining_ = 0;
  bool handshaken_ = false;
  bool draining_ = false;
  bool closed_ = false;
};

class guard_impl final : public basp_guard, public std::enable_shared_from_this<guard_impl> {
public:
  guard_impl(asio::io_context& ioc, core_ptr core)
    : ioc_(ioc), core_(std::move(core)), acceptor_(core_->strand), backoff_(core_->strand) {}

  bool listen(std::string& error) {
    const auto& o = core_->options;
    error_code ec;
    auto address = asio::ip::make_address(o.host, ec);
    if (ec) {
      error = "basp guard: '" + o.host + "' is not an IP address";
      return false;
    }
    if (!listen_on(acceptor_, {address, o.port}, error))
      return false;
    port_ = acceptor_.local_endpoint().port();
    return true;
  }

  unsigned short port() const override { return port_; }

  void forward_to(unsigned short upstream_port) override {
    asio::post(core_->strand, [self = shared_from_this(), upstream_port] {
      if (self->core_->stopped || self->forwarding_)
        return;
      self->forwarding_ = true;
      self->core_->upstream = {asio::ip::address_v4::loopback(), upstream_port};
      self->do_accept();
    });
  }

  std::shared_ptr<const basp_guard_stats> stats() const override { return core_->stats; }

  void stop() override {
    if (core_->strand.running_in_this_thread())
      return close_all();
    auto done = std::make_shared<std::promise<void>>();
    auto closed = done->get_future();
    asio::post(core_->strand, [self = shared_from_this(), done] {
      self->close_all();
      done->set_value();
    });
    // A stopped io_context never runs the close: its sockets close when it is destroyed.
    if (!ioc_.stopped())
      closed.wait_for(std::chrono::seconds{1});
  }

private:
  void close_all() {
    if (core_->stopped)
      return;
    core_->stopped = true;
    error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
    std::vector<std::shared_ptr<session>> open;
    for (auto& [ptr, weak] : core_->sessions)
      if (auto s = weak.lock())
        open.push_back(std::move(s));
    for (auto& s : open)
      s->close();
    core_->sessions.clear();
  }

  void do_accept() {
    acceptor_.async_accept(core_->strand, [self = shared_from_this()](error_code ec, tcp::socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || core_->stopped)
      return;
    if (ec)
      return accept_after(backoff_, core_->options.accept_backoff, [self = shared_from_this()] {
        if (!self->core_->stopped)
          self->do_accept();
      });
    if (core_->sessions.size() >= core_->options.max_connections) {
      ++core_->stats->refused_over_cap;
      socket.close(ec);
    } else {
      ++core_->stats->accepted;
      auto s = std::make_shared<session>(std::move(socket), core_);
      core_->sessions.emplace(s.get(), s);
      s->start();
    }
    do_accept();
  }

  asio::io_context& ioc_;
  core_ptr core_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  unsigned short port_ = 0;
  bool forwarding_ = false;
};

} // namespace

std::shared_ptr<basp_guard> make_basp_guard(boost::asio::io_context& ioc, basp_guard_options options,
                                            std::string& error) {
  auto core = std::make_shared<guard_core>(ioc);
  core->options = std::move(options);
  auto guard = std::make_shared<guard_impl>(ioc, std::move(core));
  if (!guard->listen(error))
    return nullptr;
  return guard;
}

} // namespace derivcache::net
