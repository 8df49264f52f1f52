#include "neuralake/engine/sql_expressions.h"

#include "duckdb.hpp"
#include "duckdb/parser/parsed_expression.hpp"
#include "duckdb/parser/parser.hpp"

namespace neuralake::engine {
namespace {

Status CheckScalar(const duckdb::ParsedExpression& expression, std::string_view what) {
  if (expression.IsAggregate()) {
    return Status::Invalid(std::string(what) + ": aggregate functions are not allowed here");
  }
  if (expression.IsWindow()) {
    return Status::Invalid(std::string(what) + ": window functions are not allowed here");
  }
  if (expression.HasSubquery()) {
    return Status::Invalid(std::string(what) + ": subqueries are not allowed here");
  }
  return Status::OK();
}

std::string Trimmed(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

}  // namespace

Result<std::vector<SqlAssignment>> ParseAssignments(std::string_view set_list,
                                                    std::string_view what) {
  std::string text = Trimmed(set_list);
  if (text.empty()) return Status::Invalid(std::string(what) + " is empty");
  duckdb::vector<std::string> columns;
  duckdb::vector<duckdb::unique_ptr<duckdb::ParsedExpression>> expressions;
  try {
    duckdb::Parser::ParseUpdateList(text, columns, expressions);
  } catch (const std::exception& exception) {
    return Status::Invalid(std::string(what) + " does not parse as `col = expr, ...`: " +
                           duckdb::ErrorData(exception).RawMessage());
  }
  if (columns.empty() || columns.size() != expressions.size()) {
    return Status::Invalid(std::string(what) + " does not parse as `col = expr, ...`");
  }
  std::vector<SqlAssignment> out;
  for (size_t i = 0; i < columns.size(); ++i) {
    NL_RETURN_NOT_OK(CheckScalar(*expressions[i], std::string(what) + " (" + columns[i] + ")"));
    out.push_back({columns[i], expressions[i]->ToString()});
  }
  return out;
}

Result<std::string> ParseScalarExpression(std::string_view text, std::string_view what) {
  std::string trimmed = Trimmed(text);
  if (trimmed.empty()) return Status::Invalid(std::string(what) + " is empty");
  duckdb::vector<duckdb::unique_ptr<duckdb::ParsedExpression>> expressions;
  try {
    expressions = duckdb::Parser::ParseExpressionList(trimmed);
  } catch (const std::exception& exception) {
    return Status::Invalid(std::string(what) + " '" + trimmed +
                           "' does not parse: " + duckdb::ErrorData(exception).RawMessage());
  }
  if (expressions.size() != 1) {
    return Status::Invalid(std::string(what) + " '" + trimmed + "' is not one expression");
  }
  NL_RETURN_NOT_OK(CheckScalar(*expressions[0], what));
  return expressions[0]->ToString();
}

}  // namespace neuralake::engine
