// SQL fragments a user gives to row-level DML (delta/dml.h): predicates, SET lists, MERGE
// conditions. They are parsed by DuckDB's parser and re-rendered before they are embedded in the
// engine's own statements, so a fragment is exactly one expression (a text such as
// "1) UNION SELECT ..." does not parse as one) and a syntax error is caught before anything runs.
//
// Thread safety: free functions, safe from many threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"

namespace neuralake::engine {

struct SqlAssignment {
  std::string column;      // as written (unquoted)
  std::string expression;  // DuckDB's rendering of the value expression
};

// "a = x + 1, b = 'q'" -> [(a, "(x + 1)"), (b, "'q'")]. Invalid (naming `what`) when the list
// does not parse, is empty, or assigns an aggregate, window function or subquery.
Result<std::vector<SqlAssignment>> ParseAssignments(std::string_view set_list,
                                                    std::string_view what);

// One scalar expression, re-rendered by DuckDB. Invalid (naming `what`) when `text` is not exactly
// one expression or holds an aggregate, window function or subquery.
Result<std::string> ParseScalarExpression(std::string_view text, std::string_view what);

}  // namespace neuralake::engine
