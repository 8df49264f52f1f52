#include "neuralake/cli/flag_values.h"

#include "neuralake/common/time.h"
#include "neuralake/common/units.h"

namespace neuralake::cli {

Result<int64_t> DurationFlag(std::string_view flag, const std::string& text) {
  auto parsed = ParseDurationMs(text);
  if (!parsed.ok()) return parsed.status().WithContext(flag);
  return parsed;
}

Result<int64_t> SizeFlag(std::string_view flag, const std::string& text) {
  auto parsed = ParseByteSize(text);
  if (!parsed.ok()) return parsed.status().WithContext(flag);
  return parsed;
}

Result<int64_t> TimestampFlag(std::string_view flag, const std::string& text) {
  auto parsed = ParseTimestampMs(text);
  if (!parsed.ok()) return parsed.status().WithContext(flag);
  return parsed;
}

}  // namespace neuralake::cli
