// Durations and byte sizes as people type them on command lines, in table properties and in
// config files, and as we print them. One parser and one formatter for each, used everywhere.
//
//   ParseDurationMs("500ms") == 500       ParseDurationMs("1.5") == 1500 (bare number: seconds)
//   ParseDurationMs("2m") == 120000       ParseDurationMs("interval 7 days") == 604800000
//   ParseByteSize("128mb") == 134217728   ParseByteSize("1 GB") == 1073741824
//
// Units: ms, s, m, h, d, w and their long forms (millisecond(s), second(s), sec, minute(s), min,
// hour(s), day(s), week(s)), optionally after "interval" (Delta's property syntax). Sizes: b, k/kb/
// kib, m/mb/mib, g/gb/gib, t/tb/tib, all powers of 1024, optionally fractional ("1.5gb").
// Negative, non-finite and overflowing values are Invalid with a one-line message naming the text.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "neuralake/common/result.h"

namespace neuralake {

// What a number without a unit means: seconds (command lines, config files), or an error (Delta
// table properties such as delta.logRetentionDuration, where Spark and delta-rs require a unit).
enum class UnitlessDuration { kSeconds, kRefused };

Result<int64_t> ParseDurationMs(std::string_view text,
                                UnitlessDuration unitless = UnitlessDuration::kSeconds);
Result<int64_t> ParseByteSize(std::string_view text);

// "750ms", "12s", "1.5s", "3m20s", "2h5m", "3d4h".
std::string FormatDuration(int64_t ms);
// "512 B", "1.5 KiB", "128 MiB", "4.7 GiB".
std::string FormatBytes(int64_t bytes);

}  // namespace neuralake
