// SPDX-License-Identifier: MIT
// libFuzzer target: the input bytes as metrics text, read by every parser of
// connpool:metrics_text (the dashboard's watch mode feeds it whatever a
// network peer sends). Besides ASan/UBSan's checks, aborts when a parser
// breaks its own promises: a text the strict mode accepts must be accepted
// by the lenient mode with the same samples; every sample names a family
// that exists; a refusal always says which line.
// Built with clang-19 -fsanitize=fuzzer,address (CONNPOOL_BUILD_FUZZ).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
import connpool;

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "metrics_text: %s\n", what);
  std::abort();
}

void consistent(const std::optional<connpool::exposition>& e, const std::string& error) {
  if (!e) {
    check(error.starts_with("line "), "a refusal without its line");
    return;
  }
  for (const connpool::metric_sample& s : e->samples)
    check(e->families.contains(s.family), "a sample of a family that does not exist");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using connpool::parse_mode;
  std::string error;
  for (const bool openmetrics : {true, false}) {
    const auto parse = [&](parse_mode mode) {
      error.clear();
      return openmetrics ? connpool::parse_openmetrics(text, error, mode)
                         : connpool::parse_prometheus_text(text, error, mode);
    };
    const auto strict = parse(parse_mode::strict);
    consistent(strict, error);
    const auto lenient = parse(parse_mode::lenient);
    consistent(lenient, error);
    if (strict) {
      check(lenient.has_value(), "the lenient mode refuses what the strict one accepts");
      check(lenient->samples.size() == strict->samples.size(), "the modes disagree on the samples");
    }
  }
  error.clear();
  consistent(connpool::parse_metrics_text(text, error), error);
  return 0;
}
