// AnalyzeQueryShape (query_shape.h): the maintainable shapes of a SELECT, by DuckDB's parser.
#include "neuralake/engine/query_shape.h"

#include "neuralake/engine/sql_parse.h"

#include <mutex>
#include <set>

#include "duckdb.hpp"
#include "duckdb/parser/expression/columnref_expression.hpp"
#include "duckdb/parser/expression/constant_expression.hpp"
#include "duckdb/parser/expression/function_expression.hpp"
#include "duckdb/parser/parsed_expression_iterator.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/query_node.hpp"
#include "duckdb/parser/query_node/select_node.hpp"
#include "duckdb/parser/result_modifier.hpp"
#include "duckdb/parser/statement/select_statement.hpp"

namespace neuralake::engine {
namespace {

// The names of DuckDB's aggregate functions (the parser alone cannot tell sum() from abs()).
const std::set<std::string>& AggregateNames() {
  static std::once_flag once;
  static std::set<std::string> names;
  std::call_once(once, [] {
    duckdb::DuckDB db(nullptr);
    duckdb::Connection connection(db);
    auto result = connection.Query(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'aggregate'");
    if (!result->HasError()) {
      for (auto& row : *result) names.insert(row.GetValue<std::string>(0));
    }
    names.insert("count_star");
  });
  return names;
}

// Functions whose value differs between evaluations: a query using one is recomputed.
bool NonDeterministic(const std::string& name) {
  static const std::set<std::string> kNames = {
      "random", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "now", "current_timestamp",
      "get_current_timestamp", "current_date", "current_time", "today", "transaction_timestamp",
      "setseed", "nextval", "currval", "epoch_ms_now"};
  return kNames.count(name) != 0;
}

// What an expression tree contains that matters for maintainability.
struct ExpressionFacts {
  bool aggregate = false;
  bool window = false;
  bool subquery = false;
  std::string non_deterministic;  // a function name
};

void Collect(const duckdb::ParsedExpression& expression, ExpressionFacts& facts) {
  auto expression_class = expression.GetExpressionClass();
  if (expression_class == duckdb::ExpressionClass::WINDOW) facts.window = true;
  if (expression_class == duckdb::ExpressionClass::SUBQUERY) facts.subquery = true;
  if (expression_class == duckdb::ExpressionClass::FUNCTION) {
    auto& function = expression.Cast<duckdb::FunctionExpression>();
    if (AggregateNames().count(function.function_name)) facts.aggregate = true;
    if (NonDeterministic(function.function_name)) facts.non_deterministic = function.function_name;
  }
  duckdb::ParsedExpressionIterator::EnumerateChildren(
      expression, [&facts](const duckdb::ParsedExpression& child) { Collect(child, facts); });
}

ExpressionFacts FactsOf(const duckdb::ParsedExpression& expression) {
  ExpressionFacts facts;
  Collect(expression, facts);
  return facts;
}

QueryShape Other(std::string reason) {
  QueryShape shape;
  shape.reason = std::move(reason);
  return shape;
}

// The reason a part of the query (`where`: "select list", "WHERE") blocks incremental refresh.
std::string Blocker(const ExpressionFacts& facts, bool aggregates_allowed) {
  if (facts.window) return "query has a window function";
  if (facts.subquery) return "query has a subquery";
  if (!facts.non_deterministic.empty()) {
    return "query calls the non-deterministic function " + facts.non_deterministic + "()";
  }
  if (facts.aggregate && !aggregates_allowed) return "query has an aggregate outside the select list";
  return "";
}

// The select item `item` as an aggregate column, or the reason it is not a maintainable one.
Result<ShapeColumn> AggregateColumn(const duckdb::ParsedExpression& item) {
  ShapeColumn column;
  column.expression = item.ToString();
  if (item.GetExpressionClass() != duckdb::ExpressionClass::FUNCTION) {
    return Status::Unsupported("aggregate inside an expression: " + column.expression);
  }
  auto& function = item.Cast<duckdb::FunctionExpression>();
  const std::string& name = function.function_name;
  if (name == "sum") {
    column.kind = ShapeColumn::Kind::kSum;
  } else if (name == "count" || name == "count_star") {
    column.kind = ShapeColumn::Kind::kCount;
  } else if (name == "min") {
    column.kind = ShapeColumn::Kind::kMin;
  } else if (name == "max") {
    column.kind = ShapeColumn::Kind::kMax;
  } else if (name == "avg" || name == "mean") {
    column.kind = ShapeColumn::Kind::kAvg;
  } else {
    return Status::Unsupported("aggregate " + name + "() cannot be merged incrementally");
  }
  if (function.distinct) return Status::Unsupported("query has " + name + "(DISTINCT ...)");
  if (function.filter) return Status::Unsupported("aggregate with FILTER: " + column.expression);
  if (function.order_bys && !function.order_bys->orders.empty()) {
    return Status::Unsupported("aggregate with ORDER BY: " + column.expression);
  }
  if (column.kind != ShapeColumn::Kind::kCount && function.children.size() != 1) {
    return Status::Unsupported("aggregate " + column.expression + " takes one argument");
  }
  for (auto& child : function.children) {
    auto facts = FactsOf(*child);
    if (facts.aggregate) return Status::Unsupported("nested aggregate: " + column.expression);
    std::string blocker = Blocker(facts, false);
    if (!blocker.empty()) return Status::Unsupported(blocker);
  }
  return column;
}

// The argument of count/avg as SQL ("*" for count(*)).
std::string ArgumentOf(const duckdb::ParsedExpression& item) {
  auto& function = item.Cast<duckdb::FunctionExpression>();
  if (function.children.empty()) return "*";
  return function.children[0]->ToString();
}

// The select item a GROUP BY expression names: by position, by alias or by equal expression.
int GroupItem(const duckdb::ParsedExpression& group,
              const duckdb::vector<duckdb::unique_ptr<duckdb::ParsedExpression>>& select_list) {
  if (group.GetExpressionClass() == duckdb::ExpressionClass::CONSTANT) {
    auto& value = group.Cast<duckdb::ConstantExpression>().value;
    if (value.type().IsIntegral()) {
      int64_t position = value.GetValue<int64_t>();
      if (position >= 1 && position <= static_cast<int64_t>(select_list.size())) {
        return static_cast<int>(position - 1);
      }
    }
    return -1;
  }
  if (group.GetExpressionClass() == duckdb::ExpressionClass::COLUMN_REF) {
    auto& ref = group.Cast<duckdb::ColumnRefExpression>();
    if (!ref.IsQualified()) {
      for (size_t i = 0; i < select_list.size(); ++i) {
        if (select_list[i]->HasAlias() && select_list[i]->GetAlias() == ref.GetColumnName()) {
          return static_cast<int>(i);
        }
      }
    }
  }
  for (size_t i = 0; i < select_list.size(); ++i) {
    auto copy = select_list[i]->Copy();
    copy->ClearAlias();
    if (copy->Equals(group)) return static_cast<int>(i);
  }
  return -1;
}

QueryShape AggregateShape(const duckdb::SelectNode& node) {
  QueryShape shape;
  shape.kind = QueryShape::Kind::kAggregate;
  const auto& select_list = node.select_list;
  std::vector<const duckdb::ParsedExpression*> aggregates(select_list.size(), nullptr);
  for (size_t i = 0; i < select_list.size(); ++i) {
    const auto& item = *select_list[i];
    if (item.GetExpressionClass() == duckdb::ExpressionClass::STAR) {
      return Other("aggregate query selects *");
    }
    auto facts = FactsOf(item);
    if (facts.aggregate) {
      auto column = AggregateColumn(item);
      if (!column.ok()) return Other(column.status().message());
      shape.columns.push_back(*column);
      aggregates[i] = &item;
    } else {
      std::string blocker = Blocker(facts, false);
      if (!blocker.empty()) return Other(blocker);
      ShapeColumn key;
      key.expression = item.ToString();
      shape.columns.push_back(key);
    }
  }
  // Every GROUP BY expression must be a key of the select list (a hidden key would merge groups
  // the stored rows cannot tell apart), and every key must be grouped by.
  if (node.groups.grouping_sets.size() > 1) return Other("query has GROUPING SETS, ROLLUP or CUBE");
  std::vector<bool> grouped(select_list.size(), false);
  bool group_all = node.aggregate_handling == duckdb::AggregateHandling::FORCE_AGGREGATES;
  for (auto& group : node.groups.group_expressions) {
    int item = GroupItem(*group, select_list);
    if (item < 0 || aggregates[item]) {
      return Other("GROUP BY " + group->ToString() + " is not a column of the select list");
    }
    grouped[item] = true;
  }
  for (size_t i = 0; i < select_list.size(); ++i) {
    if (!aggregates[i] && !grouped[i] && !group_all) {
      return Other("select item " + shape.columns[i].expression + " is not grouped");
    }
  }
  // avg(x) merges weighted by count(x): the select list must hold that count.
  for (size_t i = 0; i < select_list.size(); ++i) {
    if (shape.columns[i].kind != ShapeColumn::Kind::kAvg) continue;
    std::string argument = ArgumentOf(*aggregates[i]);
    for (size_t j = 0; j < select_list.size(); ++j) {
      if (shape.columns[j].kind == ShapeColumn::Kind::kCount &&
          ArgumentOf(*aggregates[j]) == argument) {
        shape.columns[i].count_index = static_cast<int>(j);
        break;
      }
    }
    if (shape.columns[i].count_index < 0) {
      return Other(shape.columns[i].expression + " needs count(" + argument +
                   ") in the select list to be merged incrementally");
    }
  }
  return shape;
}

QueryShape ShapeOf(const duckdb::QueryNode& query) {
  if (!query.cte_map.map.empty()) return Other("query has a WITH clause");
  if (query.type != duckdb::QueryNodeType::SELECT_NODE) {
    return Other("query is a set operation (UNION, EXCEPT, INTERSECT) or not a plain SELECT");
  }
  for (auto& modifier : query.modifiers) {
    switch (modifier->type) {
      case duckdb::ResultModifierType::DISTINCT_MODIFIER: return Other("query has DISTINCT");
      case duckdb::ResultModifierType::ORDER_MODIFIER: return Other("query has ORDER BY");
      default: return Other("query has LIMIT");
    }
  }
  auto& node = query.Cast<duckdb::SelectNode>();
  if (!node.from_table || node.from_table->type != duckdb::TableReferenceType::BASE_TABLE) {
    return Other("query does not read exactly one table (a join, a table function or a subquery)");
  }
  if (node.having) return Other("query has HAVING");
  if (node.qualify) return Other("query has QUALIFY");
  if (node.sample) return Other("query has SAMPLE");
  if (node.where_clause) {
    std::string blocker = Blocker(FactsOf(*node.where_clause), false);
    if (!blocker.empty()) return Other(blocker);
  }
  for (auto& group : node.groups.group_expressions) {
    std::string blocker = Blocker(FactsOf(*group), false);
    if (!blocker.empty()) return Other(blocker);
  }
  bool any_aggregate = false;
  for (auto& item : node.select_list) any_aggregate = any_aggregate || FactsOf(*item).aggregate;
  bool grouped = !node.groups.group_expressions.empty() ||
                 node.aggregate_handling == duckdb::AggregateHandling::FORCE_AGGREGATES;
  if (grouped || any_aggregate) return AggregateShape(node);
  for (auto& item : node.select_list) {
    std::string blocker = Blocker(FactsOf(*item), false);
    if (!blocker.empty()) return Other(blocker);
  }
  QueryShape shape;
  shape.kind = QueryShape::Kind::kProjection;
  return shape;
}

}  // namespace

std::string_view ShapeColumnKindName(ShapeColumn::Kind kind) {
  switch (kind) {
    case ShapeColumn::Kind::kKey: return "key";
    case ShapeColumn::Kind::kSum: return "sum";
    case ShapeColumn::Kind::kCount: return "count";
    case ShapeColumn::Kind::kMin: return "min";
    case ShapeColumn::Kind::kMax: return "max";
    case ShapeColumn::Kind::kAvg: return "avg";
  }
  return "?";
}

Result<QueryShape> AnalyzeQueryShape(std::string_view sql) {
  return AnalyzeOneSelect(
      sql, [](duckdb::QueryNode& node) -> Result<QueryShape> { return ShapeOf(node); });
}

}  // namespace neuralake::engine
