// Calendar helpers shared by the SQL layer, ingestion and the generator (UTC only).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace neuralake {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// "YYYY-MM-DD", optionally followed by 'T' or ' ' and "HH:MM[:SS[.fraction]]", optionally ending
// in "Z", "+00:00" or "+00"; UTC microseconds since the epoch. nullopt when malformed.
std::optional<int64_t> ParseUtcTimestampMicros(std::string_view text);

}  // namespace neuralake
