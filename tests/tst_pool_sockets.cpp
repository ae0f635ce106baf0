// SPDX-License-Identifier: MIT
// Resource hygiene with real sockets: a pool of loopback TCP connections to an
// echo server this test starts on 127.0.0.1 (port 0), driven through 10,000
// get/use/put/discard cycles with faults (dials refused, connections broken
// so ping fails, closes that throw, idle expiry by maintain()). The process
// has exactly as many open file descriptors afterwards as before, and every
// socket the factory opened was closed exactly once. Under the asan preset,
// LeakSanitizer checks the heap at exit.
#include <QTest>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>
import connpool;

using namespace std::chrono_literals;
using connpool::context;
using connpool::errc;

namespace {

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

int listening_socket(unsigned short& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, 64) < 0) fail("listen");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A single-threaded poll() echo server; the destructor stops it and closes
// every descriptor it owns.
class echo_server {
public:
  echo_server() {
    listen_ = listening_socket(port_);
    if (::pipe2(wake_, O_CLOEXEC) < 0) fail("pipe");
    thread_ = std::jthread([this] { loop(); });
  }
  ~echo_server() {
    const char x = 'x';
    (void)::write(wake_[1], &x, 1);
    thread_.join();
    for (int c : clients_)
      ::close(c);
    ::close(listen_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  unsigned short port() const { return port_; }

private:
  void loop() {
    for (;;) {
      std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_, POLLIN, 0}};
      for (int c : clients_)
        fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents) return;
      std::vector<int> keep;
      for (std::size_t i = 2; i < fds.size(); ++i) {
        const int c = fds[i].fd;
        if (!fds[i].revents) {
          keep.push_back(c);
          continue;
        }
        char buf[512];
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n > 0 && ::write(c, buf, static_cast<size_t>(n)) == n)
          keep.push_back(c);
        else
          ::close(c);
      }
      clients_ = std::move(keep);
      if (fds[1].revents & POLLIN) {
        const int c = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) clients_.push_back(c);
      }
    }
  }

  int listen_ = -1;
  int wake_[2] = {-1, -1};
  unsigned short port_ = 0;
  std::vector<int> clients_; // owned by the server thread until it is joined
  std::jthread thread_;
};

struct sock {
  int fd = -1;
  int id = 0;
};

int dial(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "connect");
  }
  return fd;
}

// A port nothing listens on: bound, then closed at once (connect is refused).
unsigned short dead_port() {
  unsigned short port = 0;
  ::close(listening_socket(port));
  return port;
}

} // namespace

class tst_PoolSockets : public QObject {
  Q_OBJECT
private slots:
  void tenThousandCyclesWithFaultsOnRealSocketsLeaveNoDescriptorOpen() {
    const std::size_t fds_before = open_fds();
    std::mutex mu;
    std::map<int, int> closes; // socket id -> times closed
    int dialled = 0, refused = 0, close_throws = 0, broken = 0;
    std::uint64_t cycles_done = 0;
    {
      echo_server server;
      const unsigned short nowhere = dead_port();
      connpool::manual_clock clock;
      std::atomic<bool> refuse_next{false};
      connpool::config<sock> cfg;
      cfg.factory = [&, port = server.port()](const context&) {
        const bool refuse = refuse_next.exchange(false);
        const int fd = dial(refuse ? nowhere : port); // throws when refused
        std::lock_guard lk(mu);
        const int id = ++dialled;
        closes[id] = 0;
        return sock{fd, id};
      };
      cfg.close = [&](sock& s) {
        ::close(s.fd);
        std::lock_guard lk(mu);
        ++closes[s.id];
        if (s.id % 19 == 0) {
          ++close_throws;
          throw std::runtime_error("close reports an error after closing");
        }
      };
      cfg.ping = [](sock& s, const context&) {
        pollfd p{s.fd, POLLIN, 0};
        char c;
        // readable with nothing to read (EOF) or an error: the peer is gone
        return ::poll(&p, 1, 0) == 0 || ::recv(s.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
      };
      cfg.max_size = 4;
      cfg.max_idle = 2;
      cfg.max_idle_time = 30s;
      cfg.clock = clock.function();
      cfg.background_maintenance = false;
      std::mt19937 rng(99);
      {
        connpool::pool<sock> p(cfg);
        std::vector<connpool::lease<sock>> held;
        for (int cycle = 0; cycle < 10'000; ++cycle) {
          const int dice = static_cast<int>(rng() % 100);
          if (dice < 4) refuse_next = true;
          std::error_code ec;
          auto l = p.get(context::with_timeout(5s), ec);
          if (ec) {
            QCOMPARE(ec, errc::factory_failed);
            ++refused;
            continue;
          }
          const char out = static_cast<char>('a' + cycle % 26);
          char in = 0;
          QCOMPARE(::write(l->fd, &out, 1), ssize_t(1));
          QCOMPARE(::read(l->fd, &in, 1), ssize_t(1));
          QCOMPARE(in, out);
          if (dice < 12) {
            p.discard(l);
          } else if (dice < 18) {
            ::shutdown(l->fd, SHUT_RDWR); // broken: the next ping on get fails
            ++broken;
            p.put(l);
          } else if (dice < 25) {
            l = {}; // the destructor returns it
          } else if (dice < 30 && held.size() < 3) {
            held.push_back(std::move(l)); // keep a few out for a while
          } else {
            p.put(l);
          }
          if (dice >= 95 && !held.empty()) held.erase(held.begin());
          if (cycle % 500 == 499) {
            clock.advance(31s);
            p.maintain();
          }
          ++cycles_done;
        }
        const auto s = p.stats();
        QVERIFY(s.ping_failures > 0);
        QVERIFY(s.idle_closed > 0);
        QVERIFY(s.factory_failures > 0);
        QVERIFY(s.close_errors > 0);
        QCOMPARE(s.factory_failures, std::uint64_t(refused));
        std::error_code ec;
        p.close(context::with_deadline(std::chrono::steady_clock::now()), ec); // leases still held: times out
        QCOMPARE(ec, held.empty() ? std::error_code() : make_error_code(errc::close_timeout));
        held.clear(); // returned into the closed pool: closed
        p.close(context::with_timeout(5s));
        QCOMPARE(p.stats().created, p.stats().closed);
      }
    }
    QCOMPARE(cycles_done + std::uint64_t(refused), std::uint64_t(10'000));
    {
      std::lock_guard lk(mu);
      QCOMPARE(static_cast<int>(closes.size()), dialled);
      for (const auto& [id, n] : closes)
        QCOMPARE(n, 1);
    }
    QCOMPARE(open_fds(), fds_before);
    qInfo("sockets: cycles=10000 dialled=%d refused=%d broken=%d close_throws=%d fds_before=%zu fds_after=%zu", dialled,
          refused, broken, close_throws, fds_before, open_fds());
  }
};

QTEST_GUILESS_MAIN(tst_PoolSockets)
#include "tst_pool_sockets.moc"
