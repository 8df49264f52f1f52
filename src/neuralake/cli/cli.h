// The `neuralake` command line, as a library so that commands are testable in-process.
//
// Each command group lives in its own file and registers itself on the CLI11 app through an
// Add*Commands(app, context) function. A command's CLI11 callback only records the work to do in
// `context.action`; Run() resolves the global configuration (flags > --config file > environment
// > defaults) first and then runs that action, so every command sees final options. A failed
// action prints one line "error: <Code>: <message>" on stderr and exits 1.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/common/status.h"
#include "neuralake/storage/storage_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace neuralake::delta {
class DeltaTable;
}  // namespace neuralake::delta

namespace neuralake::cli {

struct GlobalOptions {
  std::string config_path;            // --config FILE (YAML)
  storage::StorageOptions storage;    // resolved before any action runs
  bool verbose = false;
};

struct CommandContext {
  GlobalOptions options;
  std::ostream* out = nullptr;        // command output
  std::ostream* err = nullptr;        // diagnostics and progress
  std::function<Status()> action;     // set by the chosen subcommand's callback
};

// The Delta table at `uri` with the global storage options (no I/O; a missing table is noticed
// when it is read).
Result<std::unique_ptr<delta::DeltaTable>> OpenDeltaTable(const GlobalOptions& global,
                                                          const std::string& uri);

// Command groups.
void AddStorageCommands(CLI::App& app, CommandContext& context);
void AddTableCommands(CLI::App& app, CommandContext& context);
void AddGenerateCommand(CLI::App& app, CommandContext& context);
void AddCatalogCommands(CLI::App& app, CommandContext& context);
// Adds `table optimize|vacuum` (after AddTableCommands) and the writer/compactor/vacuumer loops.
void AddMaintenanceCommands(CLI::App& app, CommandContext& context);
// `neuralake sql`: read-only SQL over a catalog (one-shot or interactive).
void AddSqlCommand(CLI::App& app, CommandContext& context);
// `neuralake produce` / `neuralake ingest`: Kafka to a Bronze Delta table.
void AddIngestCommands(CLI::App& app, CommandContext& context);
// `neuralake serve`: the HTTP/JSON query API.
void AddServeCommand(CLI::App& app, CommandContext& context);
// `neuralake mv refresh|status` and the `neuralake refresher` loop.
void AddMvCommands(CLI::App& app, CommandContext& context);

// `neuralake check`: a catalog table's data-quality expectations (quality_commands.cc).
void AddQualityCommands(CLI::App& app, CommandContext& context);

// Runs the CLI with `args` (args[0] is the program name); returns the process exit code.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// main(): Run() on the process arguments, std::cout and std::cerr.
int Main(int argc, char** argv);

}  // namespace neuralake::cli
