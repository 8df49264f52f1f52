#include "neuralake/cli/cli.h"

#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "neuralake/config/config_file.h"
#include "neuralake/delta/table.h"

namespace neuralake::cli {

Result<std::unique_ptr<delta::DeltaTable>> OpenDeltaTable(const GlobalOptions& global,
                                                          const std::string& uri) {
  delta::TableOptions options;
  options.storage = global.storage;
  return delta::DeltaTable::Open(uri, options);
}

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("Neuralake: a local-first lakehouse (Delta Lake on object storage, SQL by DuckDB)",
               "neuralake");
  app.set_version_flag("--version", std::string("neuralake ") + kVersion);
  app.require_subcommand(1);

  CommandContext context;
  context.out = &out;
  context.err = &err;
  config::StorageOverrides flags;
  app.add_option("--config", context.options.config_path, "YAML config file (s3: endpoint, keys...)");
  app.add_option("--s3-endpoint", flags.endpoint,
                 "S3 endpoint, e.g. http://127.0.0.1:9000 (env NEURALAKE_S3_ENDPOINT)");
  app.add_option("--s3-region", flags.region, "S3 region (env NEURALAKE_S3_REGION)");
  app.add_option("--s3-access-key", flags.access_key, "S3 access key (env NEURALAKE_S3_ACCESS_KEY)");
  app.add_option("--s3-secret-key", flags.secret_key, "S3 secret key (env NEURALAKE_S3_SECRET_KEY)");
  app.add_option("--s3-max-retries", flags.max_retries, "retries on transient S3 errors");
  app.add_flag("-v,--verbose", context.options.verbose, "more diagnostics on stderr");

  AddStorageCommands(app, context);
  AddTableCommands(app, context);
  AddGenerateCommand(app, context);
  AddCatalogCommands(app, context);
  AddMaintenanceCommands(app, context);
  AddSqlCommand(app, context);
  AddIngestCommands(app, context);
  AddServeCommand(app, context);
  AddQualityCommands(app, context);
  AddMvCommands(app, context);

  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    return app.exit(error, out, err);
  }
  Result<storage::StorageOptions> storage =
      config::ResolveStorageOptions(context.options.config_path, flags);
  Status status = storage.status();
  if (status.ok()) {
    context.options.storage = std::move(storage).value();
    status = context.action ? context.action()
                            : Status::Invalid("no command given (see --help)");
  }
  if (!status.ok()) {
    err << "error: " << status.ToString() << "\n";
    return ExitCodeFor(status);
  }
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return Run(args, std::cout, std::cerr);
}

}  // namespace neuralake::cli
