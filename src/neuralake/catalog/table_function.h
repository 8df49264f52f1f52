// Function tables: a table whose rows a C++ function produces for given arguments (datarepo's
// `@table`), e.g. a reference list computed in code, an API pulled on demand, synthetic data.
//
//   catalog::TableFunction squares;
//   squares.name = "squares";
//   squares.schema = [](const FunctionArgs&) -> Result<engine::TypedColumns> {
//     return engine::TypedColumns{{"n", engine::ColumnType::Of(engine::ColumnType::Id::kInt64)}};
//   };
//   squares.open = [](const FunctionArgs& args) -> Result<std::unique_ptr<engine::BatchStream>> {
//     ... return engine::StreamOf(std::move(batches));
//   };
//   catalog.Database("demo").AddFunctionTable("squares", std::make_shared<TableFunction>(squares),
//                                             {{"limit", "10"}});
//
// or registered by name so YAML can use it ({type: function, function: squares, args: {...}}):
// RegisterTableFunction(squares). Built-in functions (sql/builtin_functions.h) are registered the
// same way: `generate` ({schema: events|telemetry, rows: N, seed: S}).
//
// `open` returns whole rows (every column of `schema`, in order); the engine projects and filters
// them. A function that fails returns an error; the query fails with it, naming the table.
//
// Thread safety: the registry is safe to use from any thread; a function's `schema` and `open`
// may be called concurrently (one query each).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/source.h"

namespace neuralake::catalog {

// A function table's arguments: text values as written in the catalog.
class FunctionArgs {
 public:
  FunctionArgs() = default;
  explicit FunctionArgs(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  const std::map<std::string, std::string>& values() const { return values_; }
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  // The argument, or `fallback` when absent.
  std::string String(const std::string& name, const std::string& fallback = "") const;
  // The argument as an integer; Invalid naming it when it is not one.
  Result<int64_t> Int(const std::string& name, int64_t fallback) const;
  // Invalid naming the first argument not in `known` (catches typos).
  Status OnlyKnown(const std::vector<std::string>& known) const;

 private:
  std::map<std::string, std::string> values_;
};

struct TableFunction {
  std::string name;
  std::string description;
  // The columns the function returns for `args` (checked against every batch it returns).
  std::function<Result<engine::TypedColumns>(const FunctionArgs& args)> schema;
  // The rows for `args`: every column of schema(args), in order.
  std::function<Result<std::unique_ptr<engine::BatchStream>>(const FunctionArgs& args)> open;
};

// Registers (or replaces) `function` under its name for catalogs to refer to.
void RegisterTableFunction(TableFunction function);
// The function registered as `name`; NotFound listing the registered names.
Result<std::shared_ptr<const TableFunction>> FindTableFunction(const std::string& name);
std::vector<std::string> TableFunctionNames();

}  // namespace neuralake::catalog
