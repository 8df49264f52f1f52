#include "neuralake/common/json.h"

#include <string>

#include <gtest/gtest.h>

namespace neuralake {
namespace {

std::string Nested(int levels, char open, char close) {
  return std::string(levels, open) + std::string(levels, close);
}

TEST(JsonTest, DepthIgnoresBracketsInsideStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a": "[[[{{{", "b": [1, [2]]})"), 3);
  EXPECT_EQ(JsonNestingDepth(R"({"a": "\"[[[\\", "b": {}})"), 2);
  EXPECT_EQ(JsonNestingDepth("42"), 0);
}

TEST(JsonTest, DeepNestingIsRefusedWithoutRecursion) {
  for (char open : {'[', '{'}) {
    std::string hostile = open == '[' ? Nested(70000, '[', ']') : std::string();
    if (open == '{') {
      for (int i = 0; i < 70000; ++i) hostile += "{\"a\":";
      hostile += "1" + std::string(70000, '}');
    }
    auto parsed = ParseJson(hostile);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(parsed.status().message().find("nested deeper than"), std::string::npos);
  }
}

TEST(JsonTest, NestingUpToTheLimitParses) {
  auto at_limit = ParseJson(Nested(kMaxJsonDepth, '[', ']'));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_FALSE(ParseJson(Nested(kMaxJsonDepth + 1, '[', ']')).ok());
}

TEST(JsonTest, InvalidTextIsCorruptNotThrown) {
  auto parsed = ParseJson(R"({"add": {"path": )");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(parsed.status().message().find("invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace neuralake
