// TableNamesInQuery (engine.h): the tables a SELECT names, found by DuckDB's parser.
#include <set>

#include "duckdb.hpp"
#include "duckdb/parser/expression/constant_expression.hpp"
#include "duckdb/parser/expression/function_expression.hpp"
#include "duckdb/parser/expression/subquery_expression.hpp"
#include "duckdb/parser/parsed_expression_iterator.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/query_node.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "duckdb/parser/tableref/basetableref.hpp"
#include "duckdb/parser/tableref/table_function_ref.hpp"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/sql_parse.h"

namespace neuralake::engine {
namespace {

class NameCollector {
 public:
  void Node(duckdb::QueryNode& node) {
    for (auto& [name, cte] : node.cte_map.map) ctes_.insert(name);
    duckdb::ParsedExpressionIterator::EnumerateQueryNodeChildren(
        node, [this](duckdb::unique_ptr<duckdb::ParsedExpression>& child) { Expression(*child); },
        [this](duckdb::TableRef& ref) { Ref(ref); });
  }

  std::vector<std::pair<std::string, std::string>> Take() {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& name : names_) {
      if (name.first.empty() && ctes_.count(name.second)) continue;
      out.push_back(name);
    }
    return out;
  }

 private:
  void Expression(duckdb::ParsedExpression& expression) {
    if (expression.GetExpressionClass() == duckdb::ExpressionClass::SUBQUERY) {
      auto& subquery = expression.Cast<duckdb::SubqueryExpression>();
      if (subquery.subquery && subquery.subquery->node) Node(*subquery.subquery->node);
    }
    duckdb::ParsedExpressionIterator::EnumerateChildren(
        expression, [this](duckdb::ParsedExpression& child) { Expression(child); });
  }

  void Ref(duckdb::TableRef& ref) {
    if (ref.type == duckdb::TableReferenceType::BASE_TABLE) {
      auto& base = ref.Cast<duckdb::BaseTableRef>();
      std::string schema = base.schema_name.empty() ? base.catalog_name : base.schema_name;
      names_.insert({schema, base.table_name});
    } else if (ref.type == duckdb::TableReferenceType::TABLE_FUNCTION) {
      // lake_scan('demo.t', ...), delta_at('demo.t', 3), source_scan('demo.t')
      auto& function = ref.Cast<duckdb::TableFunctionRef>();
      if (function.function &&
          function.function->GetExpressionClass() == duckdb::ExpressionClass::FUNCTION) {
        auto& call = function.function->Cast<duckdb::FunctionExpression>();
        if ((call.function_name == "lake_scan" || call.function_name == "delta_at" ||
             call.function_name == "source_scan") &&
            !call.children.empty() &&
            call.children[0]->GetExpressionClass() == duckdb::ExpressionClass::CONSTANT) {
          std::string name =
              call.children[0]->Cast<duckdb::ConstantExpression>().value.ToString();
          auto dot = name.find('.');
          if (dot == std::string::npos) {
            names_.insert({"", name});
          } else {
            names_.insert({name.substr(0, dot), name.substr(dot + 1)});
          }
        }
      }
    }
  }

  std::set<std::pair<std::string, std::string>> names_;
  std::set<std::string> ctes_;
};

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> TableNamesInQuery(std::string_view sql) {
  return AnalyzeOneSelect(
      sql, [](duckdb::QueryNode& node) -> Result<std::vector<std::pair<std::string, std::string>>> {
        NameCollector collector;
        collector.Node(node);
        return collector.Take();
      });
}

}  // namespace neuralake::engine
