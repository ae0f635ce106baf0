// SPDX-License-Identifier: MIT
// The OpenMetrics and Prometheus text rendering behind connpool:openmetrics
// (the format is described there). An implementation unit: compiled once
// into the library, so a consumer that builds the module does not compile it.
module;
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>
module connpool;

namespace connpool {
namespace {

/// Nanoseconds as an exact decimal number of seconds ("0.000001023", "3").
std::string seconds(std::uint64_t ns) {
  std::string s = std::to_string(ns / 1'000'000'000);
  if (const std::uint64_t frac = ns % 1'000'000'000) {
    char digits[16];
    int n = std::snprintf(digits, sizeof digits, "%09llu", static_cast<unsigned long long>(frac));
    while (n > 0 && digits[n - 1] == '0')
      --n;
    s.append(".").append(digits, static_cast<std::size_t>(n));
  }
  return s;
}

enum class format { openmetrics, prometheus_text };

class writer {
public:
  writer(std::string& out, std::string_view pool_name, format f) : out_(out), format_(f) {
    for (const char c : pool_name) {
      if (c == '\\')
        pool_ += "\\\\";
      else if (c == '"')
        pool_ += "\\\"";
      else if (c == '\n')
        pool_ += "\\n";
      else
        pool_ += c;
    }
  }

  void gauge(std::string_view name, std::string_view help, std::uint64_t v) {
    family(name, "gauge", help);
    sample(name, "", "", std::to_string(v));
  }
  void counter(std::string_view name, std::string_view help, std::uint64_t v) {
    family(name, "counter", help);
    sample(name, "_total", "", std::to_string(v));
  }
  void histogram(std::string_view name, std::string_view help, const histogram_snapshot& h) {
    family(name, "histogram", help);
    for (unsigned k = 10; k <= 35; ++k) {
      const std::uint64_t le = (std::uint64_t{1} << k) - 1;
      sample(name, "_bucket", "le=\"" + seconds(le) + "\"", std::to_string(h.count_at_most(le)));
    }
    // The buckets' sum (== h.count in a consistent snapshot) keeps +Inf and
    // _count equal and never below a finite bucket.
    const std::string total = std::to_string(h.count_at_most(UINT64_MAX));
    sample(name, "_bucket", "le=\"+Inf\"", total);
    sample(name, "_count", "", total);
    sample(name, "_sum", "", seconds(h.sum_ns));
  }
  // `name`: the OpenMetrics family name (a counter's without _total). `help`
  // must need no escaping in either format (no backslash, quote or newline).
  void family(std::string_view name, std::string_view type, std::string_view help) {
    if (format_ == format::prometheus_text) {
      // 0.0.4 has no families apart from the samples' names: a counter's
      // metadata names its sample, _total included.
      const std::string_view total = type == "counter" ? "_total" : "";
      out_.append("# HELP ").append(name).append(total).append(" ").append(help).append("\n");
      out_.append("# TYPE ").append(name).append(total).append(" ").append(type).append("\n");
      return;
    }
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    if (name.ends_with("_seconds")) out_.append("# UNIT ").append(name).append(" seconds\n");
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  }
  void sample(std::string_view name, std::string_view suffix, std::string_view label, std::string_view value) {
    out_.append(name).append(suffix).append("{pool_name=\"").append(pool_).append("\"");
    if (!label.empty()) out_.append(",").append(label);
    out_.append("} ").append(value).append("\n");
  }

private:
  std::string& out_;
  const format format_;
  std::string pool_; // escaped
};

void render(writer& w, const metrics& m) {
  // OpenTelemetry db.client.connection.*
  w.family("db_client_connection_count", "gauge",
           "Connections open, by state (idle: ready in the pool; used: leased).");
  w.sample("db_client_connection_count", "", "state=\"idle\"", std::to_string(m.idle));
  w.sample("db_client_connection_count", "", "state=\"used\"", std::to_string(m.active));
  w.gauge("db_client_connection_idle_max", "Most idle connections kept (max_idle).", m.max_idle);
  w.gauge("db_client_connection_idle_min", "Idle connections kept ready (min_idle).", m.min_idle);
  w.gauge("db_client_connection_max", "Most connections open at once (max_size).", m.max_size);
  w.gauge("db_client_connection_pending_requests", "Gets waiting for a connection.", m.waiting);
  w.counter("db_client_connection_timeouts", "Gets ended by their deadline.", m.timeouts);
  w.histogram("db_client_connection_wait_time_seconds", "Time a get took to obtain a connection.", m.wait);
  w.histogram("db_client_connection_create_time_seconds", "Factory calls, failed ones included.", m.create);
  w.histogram("db_client_connection_use_time_seconds", "Time a lease was held (config.track_hold_time).", m.hold);
  // connpool's own.
  w.histogram("connpool_ping_time_seconds", "Pings, on get and in health checks.", m.ping);
  w.gauge("connpool_open", "Connections open: idle, leased, being created or health-checked.", m.open);
  w.gauge("connpool_creating", "Factory calls running.", m.creating);
  w.gauge("connpool_max_active", "Most leases out at once.", m.max_active);
  w.gauge("connpool_circuit_open", "1 while the circuit breaker is open.", m.circuit_open ? 1 : 0);
  w.counter("connpool_gets", "get() calls.", m.gets);
  w.counter("connpool_puts", "Leases returned.", m.puts);
  w.counter("connpool_discards", "discard() calls.", m.discards);
  w.counter("connpool_hits", "Gets served a pooled connection.", m.hits);
  w.counter("connpool_misses", "Gets that created a connection.", m.misses);
  w.counter("connpool_waits", "Gets that waited at max_size.", m.waits);
  w.counter("connpool_ping_failures", "Connections closed because a ping failed.", m.ping_failures);
  w.counter("connpool_idle_closed", "Idle connections closed past max_idle_time.", m.idle_closed);
  w.counter("connpool_age_closed", "Connections closed past max_age.", m.age_closed);
  w.counter("connpool_factory_failures", "Factory calls that failed.", m.factory_failures);
  w.counter("connpool_close_timeouts", "close() calls that ended before every lease came back.", m.close_timeouts);
  w.counter("connpool_cancellations", "Gets ended by a stop request.", m.cancellations);
  w.counter("connpool_close_errors", "Close callbacks that threw.", m.close_errors);
  w.counter("connpool_created", "Connections the factory made.", m.created);
  w.counter("connpool_closed", "Connections closed.", m.closed);
  w.counter("connpool_leaks_suspected", "Leases held past leak_threshold.", m.leaks_suspected);
  w.counter("connpool_circuit_opens", "Times the circuit breaker opened.", m.circuit_opens);
  w.counter("connpool_circuit_rejects", "Gets failed fast while the breaker was open.", m.circuit_rejects);
  w.counter("connpool_observer_errors", "Observer callbacks that threw.", m.observer_errors);
  w.counter("connpool_overtaken", "Times the first waiter, woken by a return, found a running caller had taken it.",
            m.overtaken);
  w.family("connpool_closed_by_reason", "counter", "Connections closed, by reason (sums to connpool_closed_total).");
  for (std::size_t r = 0; r < close_reason_count; ++r)
    w.sample("connpool_closed_by_reason", "_total",
             std::string("reason=\"") + to_string(static_cast<close_reason>(r)) + "\"", std::to_string(m.closed_by[r]));
}

// Both formats: a family starts at a # TYPE line (OpenMetrics, TYPE first)
// or at a # HELP / # TYPE line naming another family than the one before
// (0.0.4, HELP first). Its metadata is kept from the text that introduced it.
std::string merge(std::span<const std::string_view> texts, bool eof) {
  struct family {
    std::string name, lines;
    std::size_t text; // the index of the text that introduced it
  };
  std::vector<family> families; // in order of first appearance
  for (std::size_t t = 0; t < texts.size(); ++t) {
    const std::string_view text = texts[t];
    std::size_t current = SIZE_MAX; // index into families
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find('\n', pos);
      end = end == std::string_view::npos ? text.size() : end + 1;
      std::string line(text.substr(pos, end - pos));
      pos = end;
      if (!line.ends_with('\n')) line += '\n';
      const bool type = line.starts_with("# TYPE "), help = line.starts_with("# HELP ");
      if (type || help) {
        const std::string_view rest = std::string_view(line).substr(7);
        const std::string_view name = rest.substr(0, rest.find_first_of(" \n"));
        if (type || current == SIZE_MAX || families[current].name != name) {
          current = SIZE_MAX;
          for (std::size_t i = 0; i < families.size(); ++i)
            if (families[i].name == name) current = i;
          if (current == SIZE_MAX) {
            current = families.size();
            families.push_back(family{std::string(name), {}, t});
          }
        }
      }
      if (line.starts_with("# EOF") || current == SIZE_MAX) continue; // an EOF, or nothing before the first family
      if (!line.starts_with("#") || families[current].text == t) families[current].lines += line;
    }
  }
  std::string out;
  for (const family& f : families)
    out += f.lines;
  if (eof) out += "# EOF\n";
  return out;
}

} // namespace

std::string to_openmetrics(const metrics& m, std::string_view pool_name, bool eof) {
  std::string out;
  writer w(out, pool_name, format::openmetrics);
  render(w, m);
  if (eof) out += "# EOF\n";
  return out;
}

std::string to_prometheus_text(const metrics& m, std::string_view pool_name) {
  std::string out;
  writer w(out, pool_name, format::prometheus_text);
  render(w, m);
  return out;
}

std::string merge_openmetrics(std::span<const std::string_view> texts, bool eof) { return merge(texts, eof); }

std::string merge_prometheus_text(std::span<const std::string_view> texts) { return merge(texts, false); }

} // namespace connpool
