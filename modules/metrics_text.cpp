// SPDX-License-Identifier: MIT
// The parsers behind connpool:metrics_text (the rules are described there).
// Hand-written rather than std::regex: one pass, no recursion (libstdc++'s
// regex recurses per character and can overflow the stack on a long line of
// garbage), and locale-independent number parsing (std::from_chars; a Qt
// application calls setlocale, which changes strtod's decimal point).
module;
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
module connpool;

namespace connpool {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool label_start(char c) { return name_start(c) && c != ':'; }
bool label_char(char c) { return name_char(c) && c != ':'; }

/// A metric name at the start of `s` (empty when there is none).
std::string_view take_name(std::string_view s) {
  if (s.empty() || !name_start(s[0])) return {};
  std::size_t n = 1;
  while (n < s.size() && name_char(s[n]))
    ++n;
  return s.substr(0, n);
}

/// Parses a sample value: [+-]digits[.digits][e[+-]digits], [+-]Inf, NaN
/// (lenient: also any case of inf/nan, as Go's ParseFloat reads them).
std::optional<double> number(std::string_view s, bool lenient) {
  if (s.empty()) return std::nullopt;
  const bool negative = s[0] == '-';
  std::string_view body = (s[0] == '+' || s[0] == '-') ? s.substr(1) : s;
  auto same = [&](std::string_view word) {
    if (!lenient) return body == word;
    return body.size() == word.size() &&
           std::equal(body.begin(), body.end(), word.begin(), [](char a, char b) { return (a | 0x20) == (b | 0x20); });
  };
  if (same("Inf")) return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (same("NaN") && body.size() == s.size()) return std::numeric_limits<double>::quiet_NaN();
  // The grammar first (from_chars alone would accept "1e", "inf", ".").
  std::size_t i = 0, digits = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9')
    ++i, ++digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9')
      ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    const std::size_t start = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9')
      ++i;
    if (i == start) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double v = 0;
  const auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  // Out of range: the grammar was right, the magnitude is not representable.
  if (r.ec == std::errc::result_out_of_range)
    v = std::numeric_limits<double>::infinity();
  else if (r.ec != std::errc{})
    return std::nullopt;
  return negative ? -v : v;
}

/// Checks `s` (a # HELP text) for escapes: OpenMetrics allows \\ \" \n, the
/// classic format \\ and \n.
bool help_escapes_ok(std::string_view s, bool allow_quote) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\\') {
      if (++i == s.size()) return false;
      if (s[i] != '\\' && s[i] != 'n' && !(allow_quote && s[i] == '"')) return false;
    }
  return true;
}

/// Reads one sample line into `out` (name, labels, value); `why` on error.
bool sample_line(std::string_view line, bool openmetrics, bool lenient, metric_sample& out, std::string& why) {
  const std::string_view name = take_name(line);
  if (name.empty()) return why = "not a metric name", false;
  out.name = std::string(name);
  std::size_t i = name.size();
  auto skip_blanks = [&] {
    if (lenient)
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
  };
  const std::size_t after_name = i;
  skip_blanks();
  if (i >= line.size() || line[i] != '{') i = after_name; // the blanks before the value
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      skip_blanks();
      if (lenient && i < line.size() && line[i] == '}') { // {} or a trailing comma
        ++i;
        break;
      }
      if (i >= line.size() || !label_start(line[i])) return why = "bad label name", false;
      const std::size_t start = i;
      while (i < line.size() && label_char(line[i]))
        ++i;
      std::string key(line.substr(start, i - start));
      skip_blanks();
      if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return why = "label without =\"value\"", false;
      i += 2;
      std::string value;
      for (;; ++i) {
        if (i >= line.size()) return why = "unterminated label value", false;
        const char c = line[i];
        if (c == '"') break;
        if (c != '\\') {
          value += c;
          continue;
        }
        if (++i >= line.size()) return why = "unterminated label value", false;
        const char e = line[i];
        if (e == 'n')
          value += '\n';
        else if (e == '\\' || e == '"')
          value += e;
        else
          return why = "bad escape in a label value", false;
      }
      ++i; // the closing quote
      if (!out.labels.try_emplace(std::move(key), std::move(value)).second) return why = "label repeated", false;
      skip_blanks();
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return why = "labels not closed", false;
    }
  }
  if (i >= line.size() || (line[i] != ' ' && !(lenient && line[i] == '\t')))
    return why = "no space before the value", false;
  ++i;
  skip_blanks();
  std::size_t end = line.find_first_of(" \t", i);
  if (end == std::string_view::npos) end = line.size();
  const std::string_view value = line.substr(i, end - i);
  const auto v = number(value, lenient);
  if (!v) return why = "bad value", false;
  out.value = std::string(value);
  out.number = *v;
  if (end == line.size()) return true;
  if (!lenient) return why = "text after the value", false;
  // Lenient: a timestamp, then (OpenMetrics) an exemplar, both ignored.
  std::string_view rest = line.substr(end);
  while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t'))
    rest.remove_prefix(1);
  if (rest.empty()) return true;
  if (openmetrics && rest.starts_with("# ")) return true;
  std::size_t ts_end = rest.find_first_of(" \t");
  if (ts_end == std::string_view::npos) ts_end = rest.size();
  if (!number(rest.substr(0, ts_end), false)) return why = "bad timestamp", false;
  rest.remove_prefix(ts_end);
  while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t'))
    rest.remove_prefix(1);
  if (rest.empty() || (openmetrics && rest.starts_with("# "))) return true;
  return why = "text after the timestamp", false;
}

/// The key of a series: its name and labels (duplicates are an error).
std::string series_key(const metric_sample& s) {
  std::string key = s.name;
  for (const auto& [k, v] : s.labels)
    key.append(1, '\0').append(k).append(1, '\0').append(v);
  return key;
}

/// Calls f(line_number, line) for each line; lines end at '\n'.
template <class F> bool each_line(std::string_view text, F&& f) {
  std::size_t n = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (!f(++n, text.substr(pos, end - pos), end + 1 >= text.size())) return false;
    pos = end + 1;
  }
  return true;
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

/// The suffixes a family's samples may have after its name.
std::vector<std::string_view> suffixes(std::string_view type, bool openmetrics) {
  if (type == "counter")
    return openmetrics ? std::vector<std::string_view>{"_total", "_created"} : std::vector<std::string_view>{""};
  if (type == "histogram")
    return openmetrics ? std::vector<std::string_view>{"_bucket", "_count", "_sum", "_created"}
                       : std::vector<std::string_view>{"_bucket", "_sum", "_count"};
  if (type == "gaugehistogram") return {"_bucket", "_gcount", "_gsum"};
  if (type == "summary") return {"", "_count", "_sum", "_created"};
  if (type == "info") return {"_info"};
  return {""};
}

bool belongs(std::string_view sample, std::string_view family, std::string_view type, bool openmetrics) {
  if (!sample.starts_with(family)) return false;
  const std::string_view suffix = sample.substr(family.size());
  const auto allowed = suffixes(type, openmetrics);
  return std::find(allowed.begin(), allowed.end(), suffix) != allowed.end();
}

} // namespace

std::vector<const metric_sample*> exposition::find(std::string_view name,
                                                   const std::map<std::string, std::string>& subset) const {
  std::vector<const metric_sample*> found;
  for (const metric_sample& s : samples)
    if (s.name == name && std::all_of(subset.begin(), subset.end(), [&](const auto& kv) {
          const auto it = s.labels.find(kv.first);
          return it != s.labels.end() && it->second == kv.second;
        }))
      found.push_back(&s);
  return found;
}

std::optional<exposition> parse_openmetrics(std::string_view text, std::string& error, parse_mode mode) {
  const bool lenient = mode == parse_mode::lenient;
  auto fail = [&](std::size_t line, const std::string& why) {
    error = "line " + std::to_string(line) + ": " + why;
    return false;
  };
  const bool eof_ok = text.ends_with("# EOF\n") || (lenient && text.ends_with("# EOF"));
  if (!eof_ok) {
    fail(0, "does not end with # EOF");
    return std::nullopt;
  }
  exposition e;
  e.format = exposition_format::openmetrics;
  std::set<std::string> series;
  std::string current;          // the family of the last # TYPE
  bool current_sampled = false; // metadata must precede the samples
  const bool ok = each_line(text, [&](std::size_t n, std::string_view line, bool last) {
    if (line == "# EOF") return last || fail(n, "# EOF before the end");
    if (line.starts_with("# TYPE ")) {
      const std::string_view rest = line.substr(7);
      const std::string_view name = take_name(rest);
      const std::string_view type = name.size() < rest.size() ? rest.substr(name.size() + 1) : std::string_view{};
      if (name.empty() || rest[name.size()] != ' ' ||
          !one_of(type, {"counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"}))
        return fail(n, "bad # TYPE line: " + std::string(line));
      const auto [it, added] = e.families.try_emplace(std::string(name), metric_family{std::string(type), {}, {}});
      if (!added && (!lenient || it->second.type != type))
        return fail(n, "family declared again: " + std::string(line));
      current = name;
      current_sampled = false;
      return true;
    }
    if (line.starts_with("# UNIT ") || line.starts_with("# HELP ")) {
      const std::string_view rest = line.substr(7);
      const std::string_view name = take_name(rest);
      if (name.empty() || (rest.size() > name.size() && rest[name.size()] != ' '))
        return fail(n, "bad metadata line: " + std::string(line));
      if (name != current || current_sampled) return fail(n, "metadata outside its family: " + std::string(line));
      const std::string_view value = rest.size() > name.size() ? rest.substr(name.size() + 1) : std::string_view{};
      if (line.starts_with("# UNIT ")) {
        if (!std::all_of(value.begin(), value.end(), name_char)) return fail(n, "bad unit");
        if (!current.ends_with("_" + std::string(value))) return fail(n, "family name lacks its unit");
        e.families[current].unit = value;
      } else {
        if (!help_escapes_ok(value, true)) return fail(n, "bad escape in # HELP");
        e.families[current].help = value;
      }
      return true;
    }
    if (line.starts_with('#') || line.empty()) return fail(n, "not OpenMetrics: " + std::string(line.substr(0, 80)));
    metric_sample s;
    std::string why;
    if (!sample_line(line, true, lenient, s, why)) return fail(n, why + ": " + std::string(line.substr(0, 80)));
    if (current.empty() || !belongs(s.name, current, e.families[current].type, true)) {
      if (!lenient)
        return fail(n,
                    current.empty() ? "sample before any # TYPE" : "sample " + s.name + " outside family " + current);
      // An undeclared family (lenient): its own, of unknown type.
      current = s.name;
      e.families.try_emplace(current, metric_family{"unknown", {}, {}});
    }
    s.family = current;
    if (!series.insert(series_key(s)).second) return fail(n, "duplicate series: " + std::string(line.substr(0, 80)));
    e.samples.push_back(std::move(s));
    current_sampled = true;
    return true;
  });
  if (!ok) return std::nullopt;
  return e;
}

std::optional<exposition> parse_prometheus_text(std::string_view text, std::string& error, parse_mode mode) {
  const bool lenient = mode == parse_mode::lenient;
  auto fail = [&](std::size_t line, const std::string& why) {
    error = "line " + std::to_string(line) + ": " + why;
    return false;
  };
  if (!lenient && !text.empty() && !text.ends_with('\n')) {
    fail(0, "does not end with a newline");
    return std::nullopt;
  }
  exposition e;
  e.format = exposition_format::prometheus_text;
  std::set<std::string> series, helped, sampled;
  std::string current; // the family of the last metadata line or sample
  const bool ok = each_line(text, [&](std::size_t n, std::string_view line, bool) {
    const bool help = line.starts_with("# HELP "), type_line = line.starts_with("# TYPE ");
    if (help || type_line) {
      const std::string_view rest = line.substr(7);
      const std::string_view name = take_name(rest);
      if (name.empty() || (rest.size() > name.size() && rest[name.size()] != ' '))
        return fail(n, "bad metadata line: " + std::string(line.substr(0, 80)));
      const std::string family(name);
      const std::string_view value = rest.size() > name.size() ? rest.substr(name.size() + 1) : std::string_view{};
      if (!lenient) {
        if (sampled.contains(family)) return fail(n, "metadata after the family's samples: " + std::string(line));
        if (family != current && (helped.contains(family) || e.families.contains(family)))
          return fail(n, "family declared again: " + std::string(line));
      }
      current = family;
      metric_family& f = e.families[family];
      if (help) {
        if (!help_escapes_ok(value, lenient)) return fail(n, "bad escape in # HELP");
        if (!helped.insert(family).second && !lenient) return fail(n, "second HELP: " + std::string(line));
        f.help = value;
      } else {
        if (!one_of(value, {"counter", "gauge", "histogram", "summary", "untyped"}))
          return fail(n, "bad # TYPE line: " + std::string(line));
        if (!f.type.empty() && (!lenient || f.type != value)) return fail(n, "second TYPE: " + std::string(line));
        f.type = value;
        if (!lenient && value == "counter" && !family.ends_with("_total"))
          return fail(n, "counter without _total: " + std::string(line));
      }
      return true;
    }
    if (line.starts_with('#') || line.find_first_not_of(" \t") == std::string_view::npos) {
      if (lenient) return true; // a comment or a blank line
      return fail(n, "not the Prometheus text format (or a comment): " + std::string(line.substr(0, 80)));
    }
    metric_sample s;
    std::string why;
    if (!sample_line(line, false, lenient, s, why)) return fail(n, why + ": " + std::string(line.substr(0, 80)));
    const bool declared = !current.empty() && helped.contains(current) && !e.families[current].type.empty();
    if (!lenient && !declared) return fail(n, "sample before its family's HELP and TYPE: " + std::string(line));
    const std::string type = current.empty() ? std::string() : e.families[current].type;
    if (current.empty() || !belongs(s.name, current, type.empty() ? "untyped" : type, false)) {
      if (!lenient) return fail(n, "sample " + s.name + " outside family " + current);
      current = s.name; // undeclared: untyped, its own family
      e.families.try_emplace(current, metric_family{});
    }
    if (!lenient && (s.name == current + "_bucket") != s.labels.contains("le"))
      return fail(n, "le on a bucket only: " + std::string(line));
    s.family = current;
    if (!series.insert(series_key(s)).second) return fail(n, "duplicate series: " + std::string(line.substr(0, 80)));
    sampled.insert(current);
    e.samples.push_back(std::move(s));
    return true;
  });
  if (!ok) return std::nullopt;
  for (auto& [family, f] : e.families) {
    if (!lenient && (f.type.empty() || !helped.contains(family))) {
      error = "line " + std::to_string(std::count(text.begin(), text.end(), '\n')) +
              ": family without HELP or TYPE: " + family;
      return std::nullopt;
    }
    if (f.type.empty()) f.type = "untyped";
  }
  return e;
}

std::optional<exposition> parse_metrics_text(std::string_view text, std::string& error) {
  std::string_view end = text;
  while (!end.empty() && (end.back() == '\n' || end.back() == '\r' || end.back() == ' '))
    end.remove_suffix(1);
  if (end.ends_with("# EOF")) return parse_openmetrics(text, error, parse_mode::lenient);
  return parse_prometheus_text(text, error, parse_mode::lenient);
}

} // namespace connpool
