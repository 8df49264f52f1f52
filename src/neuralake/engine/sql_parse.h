// Internal to the engine (includes DuckDB): parsing one SELECT for analysis (sql_names.cc,
// query_shape.cc).
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "duckdb.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "neuralake/common/result.h"

namespace neuralake::engine {

// Parses `sql` as exactly one SELECT and returns `analyze(node)` (a Result). Invalid when `sql` is
// not one SELECT, or with DuckDB's message when it does not parse or `analyze` throws.
template <typename Analyze>
auto AnalyzeOneSelect(std::string_view sql, Analyze&& analyze) -> decltype(analyze(
    std::declval<duckdb::QueryNode&>())) {
  try {
    duckdb::Parser parser;
    parser.ParseQuery(std::string(sql));
    if (parser.statements.size() != 1 ||
        parser.statements[0]->type != duckdb::StatementType::SELECT_STATEMENT) {
      return Status::Invalid("expected one SELECT statement");
    }
    return analyze(*parser.statements[0]->Cast<duckdb::SelectStatement>().node);
  } catch (const std::exception& exception) {
    return Status::Invalid(duckdb::ErrorData(exception).RawMessage());
  }
}

}  // namespace neuralake::engine
