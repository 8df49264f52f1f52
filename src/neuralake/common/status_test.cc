#include "neuralake/common/status.h"

#include <gtest/gtest.h>

#include "neuralake/common/result.h"

namespace neuralake {
namespace {

Result<int> ParsePositive(int value) {
  if (value <= 0) return Status::Invalid("not positive: " + std::to_string(value));
  return value;
}

Result<int> Doubled(int value) {
  NL_ASSIGN_OR_RETURN(int parsed, ParsePositive(value));
  return parsed * 2;
}

Status CheckBoth(int a, int b) {
  NL_RETURN_NOT_OK(ParsePositive(a).status());
  NL_RETURN_NOT_OK(ParsePositive(b).status());
  return Status::OK();
}

TEST(StatusTest, CodesNamesAndContext) {
  EXPECT_TRUE(Status::OK().ok());
  Status conflict = Status::Conflict("version 3 exists");
  EXPECT_TRUE(conflict.IsConflict());
  EXPECT_EQ(conflict.ToString(), "Conflict: version 3 exists");
  EXPECT_EQ(conflict.WithContext("commit").ToString(), "Conflict: commit: version 3 exists");
  EXPECT_EQ(conflict.WithContext("x").code(), StatusCode::kConflict);
}

TEST(StatusTest, ExitAndHttpMapping) {
  EXPECT_EQ(ExitCodeFor(Status::OK()), 0);
  EXPECT_EQ(ExitCodeFor(Status::NotFound("t")), 1);
  EXPECT_EQ(HttpStatusFor(Status::Invalid("sql")), 400);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("t")), 404);
  EXPECT_EQ(HttpStatusFor(Status::Conflict("c")), 409);
  EXPECT_EQ(HttpStatusFor(Status::Internal("bug")), 500);
}

TEST(ResultTest, PropagatesValuesAndErrors) {
  auto good = Doubled(21);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  auto bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(bad.status().message(), "not positive: -1");
  EXPECT_EQ(std::move(bad).ValueOr(7), 7);
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, 0).message(), "not positive: 0");
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> result{Status::OK()};
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace neuralake
