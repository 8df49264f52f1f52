// Flag values in the units people type, through the one parser of each kind in common/
// (units.h, time.h). A bad value is Invalid with one line naming the flag, e.g.
// "--interval: cannot parse duration '5x' (e.g. 500ms, 30s, 2m, 1h, 7d, 'interval 7 days')".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "neuralake/common/result.h"

namespace neuralake::cli {

// "500ms", "10s", "2m", "1h", "7d", "1.5" (seconds), "0"; milliseconds.
Result<int64_t> DurationFlag(std::string_view flag, const std::string& text);
// "134217728", "128MB", "1.5gb"; bytes.
Result<int64_t> SizeFlag(std::string_view flag, const std::string& text);
// ISO-8601 with an optional offset, or epoch milliseconds; epoch milliseconds.
Result<int64_t> TimestampFlag(std::string_view flag, const std::string& text);

}  // namespace neuralake::cli
