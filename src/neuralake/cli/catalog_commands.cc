// `neuralake catalog ls|describe|check|export`: what a catalog file defines.
//
//   neuralake catalog check --catalog FILE                              every table holds what the
//                                                                       file promises (exit 1 if not)
//   neuralake catalog export --catalog FILE --site DIR [--ui-dir DIR]   a static catalog web site
//   neuralake catalog export --catalog FILE --format json [--output F]  the catalog description
//   neuralake catalog export --catalog FILE --format datarepo           datarepo's data.json shape
//   neuralake catalog export --catalog FILE --format roapi              a ROAPI config (YAML)
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/cli/catalog_check.h"
#include "neuralake/cli/catalog_export.h"
#include "neuralake/cli/cli.h"
#include "neuralake/server/catalog_site.h"
#include "neuralake/server/static_files.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::cli {
namespace {

Status ListTables(const std::string& catalog_path, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(catalog_path));
  size_t count = 0;
  for (const auto* database : catalog.Databases()) {
    for (const auto* table : database->Tables()) {
      out << table->QualifiedName() << "\t" << catalog::TableKindName(table->kind) << "\t"
          << table->uri << (table->description().empty() ? "" : "\t# " + table->description())
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
  if (!table->description().empty()) out << "description: " << table->description() << "\n";
  for (const auto& [key, value] : table->options) out << "option:      " << key << "=" << value << "\n";
  for (const auto& [key, value] : table->args) out << "arg:         " << key << "=" << value << "\n";
  const catalog::TableMetadata& meta = table->metadata;
  auto list = [](const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
  };
  if (!meta.owner.empty()) out << "owner:       " << meta.owner << "\n";
  if (!meta.tags.empty()) out << "tags:        " << list(meta.tags) << "\n";
  if (!meta.unique_columns.empty()) {
    out << "unique:      " << list(meta.unique_columns)
        << (meta.dedupe_order_by.empty() ? "" : " (keep last by " + meta.dedupe_order_by + ")")
        << "\n";
  }
  if (!meta.latency_info.empty()) out << "latency:     " << meta.latency_info << "\n";
  if (meta.freshness_seconds > 0) out << "freshness:   " << meta.freshness_seconds << "s\n";
  if (!meta.data_input.empty()) out << "data input:  " << meta.data_input << "\n";
  for (const auto& column : table->schema) {
    out << "declared:    " << column.name << " " << column.type
        << (column.partition ? " (partition)" : "") << "\n";
  }
  if (meta.deprecated) {
    out << "deprecated:  " << meta.deprecated->message
        << (meta.deprecated->use.empty() ? "" : "; use " + meta.deprecated->use) << "\n";
  }
  return Status::OK();
}

struct ExportFlags {
  std::string site;
  std::string format = "site";
  std::string output;
  std::string ui_dir;
};

Status WriteOutput(const std::string& text, const std::string& output, std::ostream& out) {
  if (output.empty() || output == "-") {
    out << text;
    return Status::OK();
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return Status::IOError("cannot write " + output);
  return Status::OK();
}

Status ExportCatalog(const GlobalOptions& global, const std::string& catalog_path,
                     const ExportFlags& flags, std::ostream& out) {
  const std::string& format = flags.format;
  if (format != "site" && format != "json" && format != "datarepo" && format != "roapi") {
    return Status::Invalid("--format must be site, json, datarepo or roapi");
  }
  if (format == "site" && flags.site.empty()) {
    return Status::Invalid("give --site DIR (a static web site) or --format json|datarepo|roapi");
  }
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(catalog_path));
  sql::QueryServiceOptions options;
  options.storage = global.storage;
  NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(catalog), options));
  std::string file = catalog::CatalogFilePath(catalog_path);
  if (format == "roapi") {
    NL_ASSIGN_OR_RETURN(std::string yaml, RoapiConfig(*service, file));
    return WriteOutput(yaml, flags.output, out);
  }
  NL_ASSIGN_OR_RETURN(std::string json, server::CatalogDescriptionJson(*service));
  if (format == "json") return WriteOutput(json, flags.output, out);
  if (format == "datarepo") {
    NL_ASSIGN_OR_RETURN(std::string data, DatarepoJson(json, std::filesystem::path(file).stem().string()));
    return WriteOutput(data, flags.output, out);
  }
  std::string ui_dir = flags.ui_dir.empty() ? server::DefaultUiDir() : flags.ui_dir;
  NL_RETURN_NOT_OK(server::WriteCatalogSite(json, ui_dir, flags.site));
  size_t tables = service->catalog().AllTables().size();
  out << "wrote a static catalog site of " << tables << " tables to " << flags.site
      << " (open " << flags.site << "/index.html)\n";
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

  CLI::App* check = catalog->add_subcommand(
      "check", "Check every table: reachable, declared schema matches, metadata names columns");
  check->callback([&context, path] {
    context.action = [&context, path] {
      return CheckCatalog(context.options, *path, *context.out);
    };
  });

  auto flags = std::make_shared<ExportFlags>();
  CLI::App* exporter = catalog->add_subcommand(
      "export", "A static catalog web site (works from file://), the catalog as JSON, or a ROAPI config");
  exporter->add_option("--site", flags->site, "write the site into this directory");
  exporter->add_option("--format", flags->format,
                       "site (default), json (our description), datarepo (data.json) or roapi");
  exporter->add_option("-o,--output", flags->output,
                       "with --format json|datarepo|roapi: write here (default stdout)");
  exporter->add_option("--ui-dir", flags->ui_dir,
                       "the built web UI (default: share/neuralake/ui beside the binary, else web/dist)");
  exporter->callback([&context, path, flags] {
    context.action = [&context, path, flags] {
      return ExportCatalog(context.options, *path, *flags, *context.out);
    };
  });
}

}  // namespace neuralake::cli
