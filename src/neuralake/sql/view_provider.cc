#include "neuralake/sql/view_provider.h"

#include <mutex>

#include "neuralake/catalog/table_function.h"
#include "neuralake/gen/dataset.h"

namespace neuralake::sql {
namespace {

class ViewProvider final : public catalog::TableProvider {
 public:
  ViewProvider(catalog::TableDefinition definition, catalog::ProviderContext context)
      : definition_(std::move(definition)), context_(std::move(context)) {}

  const catalog::TableDefinition& definition() const override { return definition_; }
  BindingKind Binding() const override { return BindingKind::kView; }
  Result<std::string> ViewSql() override { return definition_.options.at("sql"); }

  Result<catalog::TableDescription> Describe(const catalog::TableAt& at) override {
    if (!at.Latest()) return catalog::NotVersioned(definition_);
    if (!context_.describe_query) return Status::Unsupported("views are described by a service");
    auto columns = context_.describe_query(definition_.options.at("sql"));
    if (!columns.ok()) {
      return columns.status().WithContext("view " + definition_.QualifiedName());
    }
    catalog::TableDescription description;
    description.table = definition_.QualifiedName();
    description.kind = "view";
    for (const auto& [name, type] : *columns) {
      description.columns.push_back({name, engine::ColumnTypeSql(type), false});
    }
    return description;
  }

 private:
  const catalog::TableDefinition definition_;
  const catalog::ProviderContext context_;
};

// Checks each batch a function returns against its declared columns, then projects it.
class FunctionStream final : public engine::BatchStream {
 public:
  FunctionStream(std::string table, engine::TypedColumns columns,
                 std::unique_ptr<engine::BatchStream> rows, engine::SourceRequest request)
      : table_(std::move(table)), columns_(std::move(columns)), rows_(std::move(rows)),
        request_(std::move(request)) {}

  Result<bool> Next(engine::RecordBatch* batch) override {
    engine::RecordBatch whole;
    auto more = rows_->Next(&whole);
    if (!more.ok()) return more.status().WithContext("function table " + table_);
    if (!*more) return false;
    if (whole.columns.size() != columns_.size()) {
      return Status::Invalid("function table " + table_ + " returned " +
                             std::to_string(whole.columns.size()) + " columns, its schema has " +
                             std::to_string(columns_.size()));
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto& column = whole.columns[i];
      std::string got = engine::ColumnTypeSql(column.type);
      std::string declared = engine::ColumnTypeSql(columns_[i].second);
      if (column.name != columns_[i].first || got != declared) {
        return Status::Invalid("function table " + table_ + " returned column " + column.name +
                               " " + got + " where its schema has " + columns_[i].first + " " +
                               declared);
      }
      if (column.length != whole.num_rows) {
        return Status::Invalid("function table " + table_ + ": column " + column.name + " has " +
                               std::to_string(column.length) + " rows, the batch " +
                               std::to_string(whole.num_rows));
      }
    }
    NL_ASSIGN_OR_RETURN(*batch, engine::ProjectBatch(columns_, std::move(whole), request_));
    return true;
  }

 private:
  std::string table_;
  engine::TypedColumns columns_;
  std::unique_ptr<engine::BatchStream> rows_;
  engine::SourceRequest request_;
};

class FunctionProvider final : public catalog::TableProvider {
 public:
  FunctionProvider(catalog::TableDefinition definition,
                   std::shared_ptr<const catalog::TableFunction> function,
                   engine::TypedColumns columns)
      : definition_(std::move(definition)), function_(std::move(function)) {
    auto source = std::make_shared<engine::SourceTable>();
    source->table = definition_.QualifiedName();
    source->columns = std::move(columns);
    catalog::FunctionArgs args(definition_.args);
    source->open = [function = function_, args, table = source->table,
                    columns = source->columns](const engine::SourceRequest& request)
        -> Result<std::unique_ptr<engine::BatchStream>> {
      auto rows = function->open(args);
      if (!rows.ok()) return rows.status().WithContext("function table " + table);
      return std::unique_ptr<engine::BatchStream>(
          std::make_unique<FunctionStream>(table, columns, std::move(*rows), request));
    };
    source_ = std::move(source);
  }

  const catalog::TableDefinition& definition() const override { return definition_; }
  BindingKind Binding() const override { return BindingKind::kSource; }
  Result<std::shared_ptr<const engine::SourceTable>> Source() override { return source_; }

 private:
  const catalog::TableDefinition definition_;
  std::shared_ptr<const catalog::TableFunction> function_;
  std::shared_ptr<const engine::SourceTable> source_;
};

// ---- built-in: generate ----

class GeneratorStream final : public engine::BatchStream {
 public:
  GeneratorStream(gen::Dataset dataset, uint64_t seed, int64_t rows)
      : dataset_(std::move(dataset)), seed_(seed), rows_(rows) {}

  Result<bool> Next(engine::RecordBatch* batch) override {
    if (next_ >= rows_) return false;
    int64_t count = std::min<int64_t>(kBatchRows, rows_ - next_);
    *batch = engine::ToRecordBatch(dataset_.Generate(seed_, next_, count));
    next_ += count;
    return true;
  }

 private:
  static constexpr int64_t kBatchRows = 8192;
  gen::Dataset dataset_;
  uint64_t seed_;
  int64_t rows_;
  int64_t next_ = 0;
};

struct GenerateArgs {
  gen::Dataset dataset;
  uint64_t seed = 42;
  int64_t rows = 1000;
};

Result<GenerateArgs> ParseGenerateArgs(const catalog::FunctionArgs& args) {
  NL_RETURN_NOT_OK(args.OnlyKnown({"schema", "rows", "seed"}));
  GenerateArgs parsed;
  NL_ASSIGN_OR_RETURN(auto spec, gen::PresetSpec(args.String("schema", "events")));
  NL_ASSIGN_OR_RETURN(parsed.dataset, gen::CompileDataset(spec));
  NL_ASSIGN_OR_RETURN(parsed.rows, args.Int("rows", 1000));
  NL_ASSIGN_OR_RETURN(int64_t seed, args.Int("seed", 42));
  if (parsed.rows < 0) return Status::Invalid("argument 'rows' must not be negative");
  parsed.seed = static_cast<uint64_t>(seed);
  return parsed;
}

catalog::TableFunction GenerateFunction() {
  catalog::TableFunction function;
  function.name = "generate";
  function.description = "synthetic rows from the data generator: {schema: events|telemetry, "
                         "rows: N, seed: S}";
  function.schema = [](const catalog::FunctionArgs& args) -> Result<engine::TypedColumns> {
    NL_ASSIGN_OR_RETURN(auto parsed, ParseGenerateArgs(args));
    engine::RecordBatch sample = engine::ToRecordBatch(parsed.dataset.Generate(parsed.seed, 0, 0));
    engine::TypedColumns columns;
    for (const auto& column : sample.columns) columns.emplace_back(column.name, column.type);
    return columns;
  };
  function.open = [](const catalog::FunctionArgs& args)
      -> Result<std::unique_ptr<engine::BatchStream>> {
    NL_ASSIGN_OR_RETURN(auto parsed, ParseGenerateArgs(args));
    return std::unique_ptr<engine::BatchStream>(std::make_unique<GeneratorStream>(
        std::move(parsed.dataset), parsed.seed, parsed.rows));
  };
  return function;
}

}  // namespace

Result<std::unique_ptr<catalog::TableProvider>> MakeViewProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context) {
  if (definition.options.count("sql") == 0) return Status::Invalid("a view needs 'sql'");
  return std::unique_ptr<catalog::TableProvider>(
      std::make_unique<ViewProvider>(definition, context));
}

Result<std::unique_ptr<catalog::TableProvider>> MakeFunctionProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext&) {
  std::shared_ptr<const catalog::TableFunction> function = definition.function;
  if (!function) {
    auto name = definition.options.find("function");
    if (name == definition.options.end()) return Status::Invalid("a function table needs 'function'");
    NL_ASSIGN_OR_RETURN(function, catalog::FindTableFunction(name->second));
  }
  if (!function->schema || !function->open) {
    return Status::Invalid("table function '" + function->name + "' has no schema or open");
  }
  auto columns = function->schema(catalog::FunctionArgs(definition.args));
  if (!columns.ok()) return columns.status().WithContext("function " + function->name);
  return std::unique_ptr<catalog::TableProvider>(
      std::make_unique<FunctionProvider>(definition, std::move(function), std::move(*columns)));
}

void RegisterBuiltinFunctions() {
  static std::once_flag once;
  std::call_once(once, [] { catalog::RegisterTableFunction(GenerateFunction()); });
}

}  // namespace neuralake::sql
