// `neuralake catalog ls|describe`: what a catalog file defines.
#include <CLI/CLI.hpp>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/cli/cli.h"

namespace neuralake::cli {
namespace {

Status ListTables(const std::string& catalog_path, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(catalog_path));
  size_t count = 0;
  for (const auto* database : catalog.Databases()) {
    for (const auto* table : database->Tables()) {
      out << table->QualifiedName() << "\t" << catalog::TableKindName(table->kind) << "\t"
          << table->uri << (table->description.empty() ? "" : "\t# " + table->description)
          << "\n";
      ++count;
    }
  }
  out << count << " tables in " << catalog.Databases().size() << " databases\n";
  return Status::OK();
}

Status DescribeTable(const std::string& catalog_path, const std::string& name, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(catalog_path));
  NL_ASSIGN_OR_RETURN(const catalog::TableDefinition* table, catalog.Resolve(name));
  out << "table:       " << table->QualifiedName() << "\n"
      << "type:        " << catalog::TableKindName(table->kind) << "\n"
      << "uri:         " << table->uri << "\n";
  if (!table->description.empty()) out << "description: " << table->description << "\n";
  for (const auto& [key, value] : table->options) out << "option:      " << key << "=" << value << "\n";
  return Status::OK();
}

}  // namespace

void AddCatalogCommands(CLI::App& app, CommandContext& context) {
  CLI::App* catalog = app.add_subcommand("catalog", "Tables a catalog file defines");
  catalog->require_subcommand(1);
  catalog->fallthrough();  // `catalog ls --catalog F` as well as `catalog --catalog F ls`
  auto path = std::make_shared<std::string>();
  catalog->add_option("--catalog", *path,
                      "catalog YAML (default: $NEURALAKE_CATALOG, else ./catalog.yaml)");

  CLI::App* ls = catalog->add_subcommand("ls", "List databases and tables");
  ls->callback([&context, path] {
    context.action = [&context, path] { return ListTables(*path, *context.out); };
  });

  auto name = std::make_shared<std::string>();
  CLI::App* describe = catalog->add_subcommand("describe", "Show one table's definition");
  describe->add_option("table", *name, "db.table")->required();
  describe->callback([&context, path, name] {
    context.action = [&context, path, name] {
      return DescribeTable(*path, *name, *context.out);
    };
  });
}

}  // namespace neuralake::cli
