#include "neuralake/common/units.h"

#include <gtest/gtest.h>

namespace neuralake {
namespace {

TEST(UnitsTest, DurationsInEverySpellingWeAccept) {
  struct Case {
    const char* text;
    int64_t ms;
  } cases[] = {{"500ms", 500},       {"1.5", 1500},          {"0", 0},
               {"10s", 10'000},      {"2m", 120'000},        {"1h", 3'600'000},
               {"7d", 604'800'000},  {"1w", 604'800'000},    {"interval 7 days", 604'800'000},
               {"30 seconds", 30'000}, {"INTERVAL 2 HOURS", 7'200'000}, {" 3 min ", 180'000},
               {"0.5h", 1'800'000},  {"1 week", 604'800'000}};
  for (const auto& c : cases) {
    auto parsed = ParseDurationMs(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, c.ms) << c.text;
  }
}

TEST(UnitsTest, BadDurationsAreOneLineErrorsNamingTheText) {
  for (const char* text : {"", "abc", "-1s", "5 parsecs", "1e400", "nan", "ms", "interval"}) {
    auto parsed = ParseDurationMs(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(std::string("'") + text + "'"), std::string::npos);
    EXPECT_EQ(parsed.status().message().find('\n'), std::string::npos);
  }
}

// Delta properties: "delta.logRetentionDuration = 30" is not 30 seconds (Spark refuses it too).
TEST(UnitsTest, DurationsWithoutAUnitCanBeRefused) {
  auto refused = ParseDurationMs("30", UnitlessDuration::kRefused);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("'30' has no unit"), std::string::npos);
  EXPECT_EQ(*ParseDurationMs("interval 30 days", UnitlessDuration::kRefused), 30 * 86'400'000LL);
  EXPECT_EQ(*ParseDurationMs("30"), 30'000);
}

TEST(UnitsTest, ByteSizes) {
  EXPECT_EQ(*ParseByteSize("134217728"), 134217728);
  EXPECT_EQ(*ParseByteSize("128mb"), 128LL << 20);
  EXPECT_EQ(*ParseByteSize("1 GB"), 1LL << 30);
  EXPECT_EQ(*ParseByteSize("1.5gib"), 3LL << 29);
  EXPECT_EQ(*ParseByteSize("2t"), 2LL << 40);
  EXPECT_EQ(*ParseByteSize("10 KiB"), 10240);
  for (const char* text : {"", "mb", "-5mb", "5 parsecs", "99999999tb", "1e999"}) {
    EXPECT_FALSE(ParseByteSize(text).ok()) << text;
  }
}

TEST(UnitsTest, FormattingRoundTripsThroughTheParser) {
  EXPECT_EQ(FormatDuration(750), "750ms");
  EXPECT_EQ(FormatDuration(12'000), "12s");
  EXPECT_EQ(FormatDuration(1'500), "1.5s");
  EXPECT_EQ(FormatDuration(200'000), "3m20s");
  EXPECT_EQ(FormatDuration(7'500'000), "2h5m");
  EXPECT_EQ(FormatDuration(273'600'000), "3d4h");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(128LL << 20), "128 MiB");
  for (int64_t ms : {750LL, 12'000LL, 1'500LL}) EXPECT_EQ(*ParseDurationMs(FormatDuration(ms)), ms);
  for (int64_t bytes : {512LL, 1536LL, 128LL << 20}) {
    EXPECT_EQ(*ParseByteSize(FormatBytes(bytes)), bytes);
  }
}

}  // namespace
}  // namespace neuralake
