// SPDX-License-Identifier: MIT
// The README example of Go's connpool in C++: a pool of TCP connections to an echo
// server that this program starts itself on 127.0.0.1 (a free port).
// POSIX only (BSD sockets, poll, unistd): built where CMake is not on Windows.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
import connpool;

using namespace std::chrono_literals;

namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// A tiny echo server: one thread per connection, stops when `stop` is requested.
class echo_server {
public:
  echo_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd_, 64) < 0) fail("listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::jthread([this](std::stop_token st) {
      while (!st.stop_requested()) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        clients_.emplace_back([c] {
          char buf[4096];
          for (ssize_t n; (n = ::read(c, buf, sizeof buf)) > 0;)
            (void)::write(c, buf, static_cast<size_t>(n));
          ::close(c);
        });
      }
    });
  }
  ~echo_server() {
    acceptor_.request_stop();
    ::shutdown(fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(fd_);
    for (auto& t : clients_)
      t.join();
  }
  unsigned short port() const { return port_; }

private:
  int fd_ = -1;
  unsigned short port_ = 0;
  std::vector<std::jthread> clients_;
  std::jthread acceptor_;
};

int dial(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    if (fd >= 0) ::close(fd);
    fail("connect");
  }
  return fd;
}

} // namespace

int main() {
  echo_server server;

  connpool::config<int> cfg;
  // Define the connection factory, close function and (optional) ping.
  cfg.factory = [port = server.port()](const connpool::context&) { return dial(port); };
  cfg.close = [](int& fd) { ::close(fd); };
  cfg.ping = [](int& fd, const connpool::context&) {
    pollfd p{fd, POLLIN, 0};
    char c;
    // Readable with nothing to read (EOF) or an error: the peer is gone.
    return ::poll(&p, 1, 0) == 0 || ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  };
  cfg.max_size = 10;
  cfg.max_idle = 5;
  cfg.max_idle_time = 5min;

  connpool::pool<int> pool(cfg); // throws std::system_error naming a bad field

  {
    // Get a connection, waiting at most one second.
    auto conn = pool.get(connpool::context::with_timeout(1s));
    // Use the connection...
    const std::string hello = "hello, pool";
    (void)::write(*conn, hello.data(), hello.size());
    char buf[64] = {};
    const ssize_t n = ::read(*conn, buf, sizeof buf - 1);
    std::printf("echo: %.*s\n", static_cast<int>(n), buf);
    // Return it to the pool (or pool.discard(conn) after an error).
    pool.put(conn);
  }
  auto again = pool.get(connpool::context::with_timeout(1s)); // a hit: the same connection
  pool.put(again);

  const connpool::metrics stats = pool.stats();
  std::printf("Total connections: %zu\n", pool.size());
  std::printf("Idle connections: %zu\n", pool.idle_count());
  std::printf("Hits: %llu\nMisses: %llu\n", static_cast<unsigned long long>(stats.hits),
              static_cast<unsigned long long>(stats.misses));
  pool.close(connpool::context::with_timeout(1s));
  return stats.hits == 1 && stats.misses == 1 ? 0 : 1;
}
