// `neuralake generate`: synthetic datasets into CSV/JSON/Parquet/Delta.
//
//   neuralake generate --schema events|telemetry | --spec FILE (--rows N | --size 10GB)
//       [--seed N] [--threads N] --format delta|parquet|csv|json --output URI
//       [--rows-per-file N] [--files-per-commit N]
//   neuralake generate --schema tpch --scale SF [--seed N] [--threads N] [--tables a,b]
//       --format delta|parquet|csv|json --output PREFIX      (each table to PREFIX/<table>)
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/common/progress.h"
#include "neuralake/common/units.h"
#include "neuralake/gen/generator.h"
#include "neuralake/gen/tpch.h"

namespace neuralake::cli {
namespace {

struct GenerateFlags {
  std::string schema;
  std::string spec;
  int64_t rows = 0;
  std::string size;
  uint64_t seed = 42;
  int threads = 0;
  double scale = 1.0;
  std::string tables;
  std::string format;
  std::string output;
  int64_t rows_per_file = 100'000;
  bool rows_per_file_given = false;
  int64_t files_per_commit = 4;
};

// --schema tpch: the eight TPC-H tables (or --tables) below the --output prefix.
Status RunTpch(const GlobalOptions& global, const GenerateFlags& flags, std::ostream& out,
               std::ostream& err) {
  if (flags.rows > 0 || !flags.size.empty()) {
    return Status::Invalid("tpch is sized by --scale SF, not --rows or --size");
  }
  gen::TpchOptions options;
  options.scale = flags.scale;
  options.seed = flags.seed;
  options.threads = flags.threads;
  NL_ASSIGN_OR_RETURN(options.tables, gen::ParseTpchTableList(flags.tables));
  NL_ASSIGN_OR_RETURN(options.format, gen::ParseOutputFormat(flags.format));
  options.output = flags.output;
  if (flags.rows_per_file_given) {
    if (flags.rows_per_file <= 0) return Status::Invalid("--rows-per-file must be > 0");
    options.rows_per_chunk = flags.rows_per_file;
  }
  if (flags.files_per_commit <= 0) return Status::Invalid("--files-per-commit must be > 0");
  options.chunks_per_commit = flags.files_per_commit;
  options.storage = global.storage;
  options.progress_stream = &err;
  options.progress_is_terminal = isatty(STDERR_FILENO) != 0 && &err == &std::cerr;
  NL_ASSIGN_OR_RETURN(gen::TpchSummary summary, gen::GenerateTpch(options));
  char line[256];
  for (const auto& table : summary.tables) {
    std::snprintf(line, sizeof(line), "  %-9s %12lld rows  %5lld files  %10s\n",
                  std::string(gen::TpchTableName(table.table)).c_str(),
                  static_cast<long long>(table.rows), static_cast<long long>(table.files),
                  FormatBytes(table.bytes).c_str());
    out << line;
  }
  std::snprintf(line, sizeof(line),
                "generated tpch scale factor %g (seed %llu): %lld rows, %s, %lld files, %.2f s, "
                "%s rows/s\n",
                flags.scale, static_cast<unsigned long long>(flags.seed),
                static_cast<long long>(summary.rows),
                FormatBytes(summary.bytes).c_str(),
                static_cast<long long>(summary.files), summary.seconds,
                Progress::FormatCount(summary.rows / std::max(summary.seconds, 1e-9)).c_str());
  out << line;
  return Status::OK();
}

Status RunGenerate(const GlobalOptions& global, const GenerateFlags& flags, std::ostream& out,
                   std::ostream& err) {
  if (flags.schema.empty() == flags.spec.empty()) {
    return Status::Invalid("give exactly one of --schema NAME or --spec FILE");
  }
  if (flags.schema == "tpch") return RunTpch(global, flags, out, err);
  if (!flags.tables.empty()) return Status::Invalid("--tables is for --schema tpch");
  if ((flags.rows > 0) == !flags.size.empty()) {
    return Status::Invalid("give exactly one of --rows N or --size SIZE");
  }
  gen::DatasetSpec spec;
  if (!flags.schema.empty()) {
    NL_ASSIGN_OR_RETURN(spec, gen::PresetSpec(flags.schema));
  } else {
    NL_ASSIGN_OR_RETURN(spec, gen::LoadDatasetSpecFile(flags.spec));
  }
  NL_ASSIGN_OR_RETURN(gen::Dataset dataset, gen::CompileDataset(spec));
  gen::GenerateOptions options;
  options.seed = flags.seed;
  options.threads = flags.threads;
  options.rows = flags.rows;
  if (!flags.size.empty()) {
    NL_ASSIGN_OR_RETURN(options.size_bytes, SizeFlag("--size", flags.size));
    if (options.size_bytes <= 0) return Status::Invalid("--size must be positive: " + flags.size);
  }
  NL_ASSIGN_OR_RETURN(options.format, gen::ParseOutputFormat(flags.format));
  options.output = flags.output;
  options.rows_per_file = flags.rows_per_file;
  options.files_per_commit = flags.files_per_commit;
  options.storage = global.storage;
  options.stdout_stream = &out;
  options.progress_stream = &err;
  options.progress_is_terminal = isatty(STDERR_FILENO) != 0 && &err == &std::cerr;
  NL_ASSIGN_OR_RETURN(gen::GenerateSummary summary, gen::Generate(dataset, options));
  // The summary goes to stderr when the data itself goes to stdout.
  std::ostream& report = flags.output == "-" ? err : out;
  char line[256];
  std::snprintf(line, sizeof(line),
                "generated %lld rows of '%s' (seed %llu): %s, %lld files, %lld commits, "
                "%.2f s, %s rows/s\n",
                static_cast<long long>(summary.rows), dataset.name.c_str(),
                static_cast<unsigned long long>(flags.seed),
                FormatBytes(summary.bytes).c_str(),
                static_cast<long long>(summary.files), static_cast<long long>(summary.commits),
                summary.seconds,
                Progress::FormatCount(summary.rows / std::max(summary.seconds, 1e-9)).c_str());
  report << line;
  return Status::OK();
}

}  // namespace

void AddGenerateCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* command = app.add_subcommand("generate", "Generate a synthetic dataset");
  command->add_option("--schema", flags->schema, "built-in schema: events, telemetry, tpch");
  command->add_option("--spec", flags->spec, "dataset spec file (YAML or JSON)");
  command->add_option("--rows", flags->rows, "number of rows");
  command->add_option("--size", flags->size, "approximate raw size instead of rows, e.g. 10GB");
  command->add_option("--seed", flags->seed, "random seed (same seed, same data)");
  command->add_option("--threads", flags->threads, "generator threads (default: all cores)");
  command->add_option("--scale", flags->scale, "scale factor (tpch; default 1)");
  command->add_option("--tables", flags->tables,
                      "tpch: comma-separated subset, e.g. lineitem,orders (default: all 8)");
  command->add_option("--format", flags->format, "delta, parquet, csv or json")->required();
  command->add_option("--output", flags->output, "output URI or path ('-' for stdout)")
      ->required();
  CLI::Option* rows_per_file = command->add_option(
      "--rows-per-file", flags->rows_per_file,
      "rows per Parquet file (parquet, delta); tpch: driving rows (orders, parts, ...) per file");
  command->add_option("--files-per-commit", flags->files_per_commit,
                      "data files per Delta commit (delta)");
  command->callback([&context, flags, rows_per_file] {
    flags->rows_per_file_given = rows_per_file->count() > 0;
    context.action = [&context, flags] {
      return RunGenerate(context.options, *flags, *context.out, *context.err);
    };
  });
}

}  // namespace neuralake::cli
