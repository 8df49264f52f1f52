// Test fixture base for Delta tests: one engine per test suite (making a DuckDB engine costs more
// than most tests), and tables opened on it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/delta/table.h"
#include "neuralake/engine/engine.h"

namespace neuralake::delta {

class SharedEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine::EngineOptions options;
    options.threads = 2;
    auto made = engine::Engine::Make(options);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    engine_ = std::move(made).value().release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }

  // A table at `uri` using the suite's engine; null (and a test failure) when it cannot be opened.
  static std::unique_ptr<DeltaTable> OpenOnEngine(const std::string& uri) {
    TableOptions options;
    options.engine = engine_;
    auto table = DeltaTable::Open(uri, options);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return table.ok() ? std::move(table).value() : nullptr;
  }

  // Rows of `sql` on `engine` (default: the suite's), each as "a|b|c" (NULL for null), sorted.
  static std::vector<std::string> Rows(const std::string& sql, engine::Engine* engine = nullptr) {
    auto result = (engine ? engine : engine_)->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status().ToString() << "\n" << sql;
    std::vector<std::string> rows;
    if (!result.ok()) return rows;
    for (const auto& row : result->rows) {
      std::string text;
      for (size_t i = 0; i < row.size(); ++i) text += (i ? "|" : "") + row[i].value_or("NULL");
      rows.push_back(text);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  static inline engine::Engine* engine_ = nullptr;
};

}  // namespace neuralake::delta
