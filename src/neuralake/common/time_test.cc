#include "neuralake/common/time.h"

#include <gtest/gtest.h>

namespace neuralake {
namespace {

TEST(TimeTest, DaysFromCivil) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2026, 1, 1), 20454);
}

TEST(TimeTest, ParsesUtcTimestamps) {
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01"), 0);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01T00:01"), 60'000'000);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01 00:00:01.25"), 1'250'000);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-02T00:00:00.000001Z"), 86'400'000'001);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01T00:00:00+00:00"), 0);
  for (const char* bad : {"", "1970", "1970-1-1", "1970-13-01", "1970-01-01T25:00",
                          "1970-01-01x", "yesterday", "1970-01-01T00:00+2", "1970-01-01T00:00+01:",
                          "1970-01-01T00:00+19:00", "1970-01-01T00:00+01:60", "1970-01-01 +01"}) {
    EXPECT_FALSE(ParseUtcTimestampMicros(bad).has_value()) << bad;
  }
}

// One parser for the CLI's --timestamp, SQL's delta_at and ingestion: offsets are honoured.
TEST(TimeTest, OffsetsAreConvertedToUtc) {
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01T02:00:00+0200"), 0);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01T02:00:00+02"), 0);
  EXPECT_EQ(ParseUtcTimestampMicros("1969-12-31 20:30:00-03:30"), 0);
  EXPECT_EQ(ParseUtcTimestampMicros("1970-01-01 00:00:00.5z"), 500'000);
}

TEST(TimeTest, TimestampArgumentsAreIsoOrEpochMilliseconds) {
  EXPECT_EQ(*ParseTimestampMs("1714557600000"), 1714557600000);
  EXPECT_EQ(*ParseTimestampMs("2024-05-01T10:00:00Z"), 1714557600000);
  EXPECT_EQ(*ParseTimestampMs("2024-05-01 12:00:00+02:00"), 1714557600000);
  EXPECT_EQ(*ParseTimestampMs("1969-12-31T23:59:59.9995Z"), -1);
  auto bad = ParseTimestampMs("last tuesday");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'last tuesday'"), std::string::npos);
}

}  // namespace
}  // namespace neuralake

namespace neuralake {
namespace {

TEST(TimeFormatTest, CivilFromDaysInvertsDaysFromCivil) {
  for (int64_t days = -800'000; days <= 800'000; days += 997) {
    CivilDate date = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(date.year, date.month, date.day), days);
  }
  CivilDate leap = CivilFromDays(DaysFromCivil(2024, 2, 29));
  EXPECT_EQ(leap.year, 2024);
  EXPECT_EQ(leap.month, 2u);
  EXPECT_EQ(leap.day, 29u);
}

TEST(TimeFormatTest, IsoMillisAndSqlMicros) {
  EXPECT_EQ(FormatIsoMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMillis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoMillis(1'767'225'600'123), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(FormatSqlMicros(1'000'001), "1970-01-01 00:00:01.000001");
  EXPECT_EQ(FormatSqlMicros(-1), "1969-12-31 23:59:59.999999");
  // Round trip through the one parser.
  for (int64_t micros : {int64_t{0}, int64_t{-86'400'000'001}, int64_t{1'767'225'600'123'456}}) {
    EXPECT_EQ(ParseUtcTimestampMicros(FormatSqlMicros(micros)), micros);
  }
}

}  // namespace
}  // namespace neuralake
