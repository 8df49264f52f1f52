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
                          "1970-01-01T00:00:00+02:00", "1970-01-01x", "yesterday"}) {
    EXPECT_FALSE(ParseUtcTimestampMicros(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace neuralake
