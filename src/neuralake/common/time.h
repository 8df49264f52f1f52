// Calendar helpers shared by the SQL layer, ingestion and the generator (UTC only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "neuralake/common/result.h"

namespace neuralake {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

struct CivilDate {
  int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};
// The inverse of DaysFromCivil.
CivilDate CivilFromDays(int64_t days);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" of UTC epoch milliseconds (commit times, history).
std::string FormatIsoMillis(int64_t ms);
// "YYYY-MM-DD HH:MM:SS.ffffff" of UTC epoch microseconds (what SQL casts read as a timestamp).
std::string FormatSqlMicros(int64_t micros);

// "YYYY-MM-DD", optionally followed by 'T' or ' ' and "HH:MM[:SS[.fraction]]", optionally ending
// in "Z" or an offset "+HH", "+HHMM", "+HH:MM" (or '-'); no offset means UTC. UTC microseconds
// since the epoch; nullopt when malformed. The one timestamp parser for the CLI (--timestamp),
// SQL time travel (delta_at) and ingestion.
std::optional<int64_t> ParseUtcTimestampMicros(std::string_view text);

// A point in time as a user types it: ParseUtcTimestampMicros's forms, or all digits = epoch
// milliseconds. UTC milliseconds; Invalid naming the text when malformed.
Result<int64_t> ParseTimestampMs(std::string_view text);

}  // namespace neuralake
