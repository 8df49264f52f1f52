#include "neuralake/common/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace neuralake {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string text) {
  size_t start = text.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return text.substr(start, end - start + 1);
}

// Splits "1.5 gb" into 1.5 and "gb"; false when there is no leading non-negative number.
bool SplitAmount(const std::string& text, double* amount, std::string* unit) {
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) {
    return false;
  }
  char* end = nullptr;
  *amount = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(*amount) || *amount < 0) return false;
  *unit = Trim(std::string(end));
  return true;
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text, UnitlessDuration unitless) {
  auto bad = [&] {
    return Status::Invalid("cannot parse duration '" + std::string(text) +
                           "' (e.g. 500ms, 30s, 2m, 1h, 7d, 'interval 7 days')");
  };
  std::string value = Trim(Lower(text));
  if (value.rfind("interval", 0) == 0) value = Trim(value.substr(8));
  double amount = 0;
  std::string unit;
  if (!SplitAmount(value, &amount, &unit)) return bad();
  if (unit.empty() && unitless == UnitlessDuration::kRefused) {
    return Status::Invalid("duration '" + std::string(text) +
                           "' has no unit (e.g. 'interval 30 days', 7d, 12h)");
  }
  if (unit.size() > 1 && unit.back() == 's' && unit != "ms") unit.pop_back();  // plurals
  double scale = 0;
  if (unit.empty() || unit == "s" || unit == "sec" || unit == "second") scale = 1000;
  else if (unit == "ms" || unit == "millisecond") scale = 1;
  else if (unit == "m" || unit == "min" || unit == "minute") scale = 60'000;
  else if (unit == "h" || unit == "hour") scale = 3'600'000;
  else if (unit == "d" || unit == "day") scale = 86'400'000;
  else if (unit == "w" || unit == "week") scale = 7 * 86'400'000.0;
  else return bad();
  double ms = amount * scale;
  if (ms > 9.0e15) return bad();
  return static_cast<int64_t>(std::llround(ms));
}

Result<int64_t> ParseByteSize(std::string_view text) {
  auto bad = [&] {
    return Status::Invalid("cannot parse size '" + std::string(text) +
                           "' (e.g. 134217728, 128mb, 1.5 GB)");
  };
  std::string value = Trim(Lower(text));
  double amount = 0;
  std::string unit;
  if (!SplitAmount(value, &amount, &unit)) return bad();
  double scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") scale = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib") scale = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib") scale = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  else return bad();
  double bytes = amount * scale;
  if (bytes > 9.0e15) {
    return Status::Invalid("size '" + std::string(text) + "' is too large");
  }
  return static_cast<int64_t>(std::llround(bytes));
}

std::string FormatDuration(int64_t ms) {
  char buffer[64];
  if (ms < 0) return "-" + FormatDuration(-ms);
  if (ms < 1000) {
    std::snprintf(buffer, sizeof(buffer), "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    if (ms % 1000 == 0) {
      std::snprintf(buffer, sizeof(buffer), "%llds", static_cast<long long>(ms / 1000));
    } else {
      std::snprintf(buffer, sizeof(buffer), "%.1fs", static_cast<double>(ms) / 1000.0);
    }
  } else if (ms < 3'600'000) {
    std::snprintf(buffer, sizeof(buffer), "%lldm%llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  } else if (ms < 86'400'000) {
    std::snprintf(buffer, sizeof(buffer), "%lldh%lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms % 3'600'000 / 60'000));
  } else {
    std::snprintf(buffer, sizeof(buffer), "%lldd%lldh", static_cast<long long>(ms / 86'400'000),
                  static_cast<long long>(ms % 86'400'000 / 3'600'000));
  }
  return buffer;
}

std::string FormatBytes(int64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (std::fabs(value) >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  if (unit == 0) {
    std::snprintf(buffer, sizeof(buffer), "%lld B", static_cast<long long>(bytes));
  } else if (value == std::floor(value)) {
    std::snprintf(buffer, sizeof(buffer), "%.0f %s", value, kUnits[unit]);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f %s", value, kUnits[unit]);
  }
  return buffer;
}

}  // namespace neuralake
