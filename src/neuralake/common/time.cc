#include "neuralake/common/time.h"

#include <cctype>
#include <cstdio>

namespace neuralake {

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool Digits(std::string_view text, size_t pos, size_t count, int64_t* out) {
  if (pos + count > text.size()) return false;
  int64_t value = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

}  // namespace

std::optional<int64_t> ParseUtcTimestampMicros(std::string_view text) {
  int64_t year, month, day;
  if (!Digits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day) || month < 1 ||
      month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  int64_t hour = 0, minute = 0, second = 0, micros = 0;
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    if (!Digits(text, pos + 1, 2, &hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, &minute)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!Digits(text, pos + 1, 2, &second)) return std::nullopt;
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int64_t scale = 100'000;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          micros += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  }
  std::string_view zone = text.substr(pos);
  int64_t offset_minutes = 0;
  if (!zone.empty() && zone != "Z" && zone != "z") {
    // +HH, +HHMM or +HH:MM (or -).
    if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
    int64_t zone_hours = 0, zone_minutes = 0;
    if (!Digits(zone, 1, 2, &zone_hours)) return std::nullopt;
    size_t rest = 3;
    if (rest < zone.size() && zone[rest] == ':') ++rest;
    if (rest < zone.size()) {
      if (!Digits(zone, rest, 2, &zone_minutes) || rest + 2 != zone.size()) return std::nullopt;
    } else if (rest != zone.size() || zone.size() == 4) {
      return std::nullopt;  // "+01:" is malformed
    }
    if (zone_hours > 18 || zone_minutes > 59) return std::nullopt;
    offset_minutes = (zone_hours * 60 + zone_minutes) * (zone[0] == '-' ? -1 : 1);
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute - offset_minutes) * 60'000'000 + second * 1'000'000 +
         micros;
}

Result<int64_t> ParseTimestampMs(std::string_view text) {
  bool digits = !text.empty();
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits && text.size() <= 15) {
    int64_t value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    return value;
  }
  auto micros = ParseUtcTimestampMicros(text);
  if (!micros) {
    return Status::Invalid("cannot parse timestamp '" + std::string(text) +
                           "' (expected ISO-8601 such as 2024-05-01T10:00:00Z or "
                           "2024-05-01 12:00:00+02:00, or epoch milliseconds)");
  }
  // Floor, so that a time before the epoch with a fraction rounds down like the micros do.
  return *micros >= 0 ? *micros / 1000 : -((-*micros + 999) / 1000);
}

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  int64_t era = FloorDiv(days, 146097);
  int64_t day_of_era = days - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t year = year_of_era + era * 400;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t month_index = (5 * day_of_year + 2) / 153;
  unsigned day = static_cast<unsigned>(day_of_year - (153 * month_index + 2) / 5 + 1);
  unsigned month = static_cast<unsigned>(month_index < 10 ? month_index + 3 : month_index - 9);
  if (month <= 2) ++year;
  return {year, month, day};
}

namespace {

std::string FormatUtc(int64_t units, int64_t per_second, char separator, int fraction_digits,
                      const char* suffix) {
  int64_t seconds = FloorDiv(units, per_second);
  int64_t fraction = units - seconds * per_second;
  int64_t days = FloorDiv(seconds, 86400);
  int64_t rest = seconds - days * 86400;
  CivilDate date = CivilFromDays(days);
  char text[64];
  std::snprintf(text, sizeof(text), "%04lld-%02u-%02u%c%02lld:%02lld:%02lld.%0*lld%s",
                static_cast<long long>(date.year), date.month, date.day, separator,
                static_cast<long long>(rest / 3600), static_cast<long long>(rest / 60 % 60),
                static_cast<long long>(rest % 60), fraction_digits,
                static_cast<long long>(fraction), suffix);
  return text;
}

}  // namespace

std::string FormatIsoMillis(int64_t ms) { return FormatUtc(ms, 1000, 'T', 3, "Z"); }

std::string FormatSqlMicros(int64_t micros) { return FormatUtc(micros, 1'000'000, ' ', 6, ""); }

}  // namespace neuralake
