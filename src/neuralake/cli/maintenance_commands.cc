// Table maintenance and the low-latency writer pattern's three processes.
//
//   neuralake table optimize URI [--target-size 128MB] [--where PRED] [--zorder-by COL,...]
//   neuralake table vacuum URI [--retention-hours H] [--dry-run] [--force-retention]
//   neuralake writer URI [--schema events] [--rows-per-commit N] [--interval 1s] [--commits N]
//   neuralake compactor URI [--interval 10s] [--target-size 128MB]
//   neuralake vacuumer URI [--interval 60s] [--retention-hours 168] [--force-retention]
//
// The loops are the services of src/neuralake/service/ (WriterService, CompactorService,
// VacuumerService); this file parses their flags, stops them on SIGTERM/SIGINT (they finish the
// step they are in and the command exits 0) and prints one status line per step on stdout.
#include <sstream>

#include <CLI/CLI.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/common/progress.h"
#include "neuralake/common/units.h"
#include "neuralake/delta/optimize.h"
#include "neuralake/delta/vacuum.h"
#include "neuralake/service/compactor_service.h"
#include "neuralake/service/stop_flag.h"
#include "neuralake/service/vacuumer_service.h"
#include "neuralake/service/writer_service.h"

namespace neuralake::cli {
namespace {

Result<std::unique_ptr<delta::DeltaTable>> OpenTable(const GlobalOptions& global,
                                                     const std::string& uri,
                                                     bool must_exist = true) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, uri));
  if (!must_exist) return table;
  NL_ASSIGN_OR_RETURN(bool exists, table->Exists());
  if (!exists) return Status::NotFound("'" + uri + "' is not a Delta table (no _delta_log/)");
  return table;
}

std::string OptimizeLine(const delta::OptimizeResult& r) {
  char line[320];
  std::snprintf(line, sizeof(line),
                "version %lld: %lld bins compacted in %lld commit%s, %lld files -> %lld (%s -> "
                "%s), %lld bins skipped on conflict, %.2f s, %s/s written",
                static_cast<long long>(r.last_version), static_cast<long long>(r.bins_committed),
                static_cast<long long>(r.commits), r.commits == 1 ? "" : "s",
                static_cast<long long>(r.files_removed), static_cast<long long>(r.files_added),
                FormatBytes(r.bytes_removed).c_str(), FormatBytes(r.bytes_added).c_str(),
                static_cast<long long>(r.bins_conflicted), r.seconds,
                FormatBytes(static_cast<int64_t>(r.bytes_added / std::max(r.seconds, 1e-9)))
                    .c_str());
  return line;
}

std::string VacuumLine(const delta::VacuumResult& result, const delta::VacuumOptions& options) {
  std::ostringstream line;
  line << (options.dry_run ? "would delete " : "deleted ") << result.deleted.size() << " files ("
       << FormatBytes(result.bytes) << ") of " << result.files_scanned << " scanned; "
       << result.files_referenced << " referenced by version " << result.version << " and the last "
       << options.retention_hours << " h; " << result.untracked_kept
       << " uncommitted kept (younger than " << result.untracked_grace_hours << " h)";
  return line.str();
}

struct OptimizeFlags {
  std::string uri;
  std::string target_size = "128MB";
  std::string where;
  std::vector<std::string> zorder_by;
  std::string interval = "10s";
  int64_t iterations = 0;
};

Result<delta::OptimizeOptions> ToOptimizeOptions(const OptimizeFlags& flags) {
  delta::OptimizeOptions options;
  NL_ASSIGN_OR_RETURN(options.target_file_size, SizeFlag("--target-size", flags.target_size));
  if (options.target_file_size <= 0) return Status::Invalid("--target-size must be positive");
  if (!flags.where.empty()) options.partition_predicate = flags.where;
  for (const std::string& column : flags.zorder_by) {
    if (column.empty()) return Status::Invalid("--zorder-by has an empty column name");
    options.zorder_by.push_back(column);
  }
  return options;
}

Result<int64_t> IterationsFlag(int64_t iterations) {
  if (iterations < 0) return Status::Invalid("--iterations must not be negative");
  return iterations;
}

Status RunOptimize(const GlobalOptions& global, const OptimizeFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto options, ToOptimizeOptions(flags));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  NL_ASSIGN_OR_RETURN(auto result, delta::Optimize(*table, options));
  out << "optimize " << flags.uri << ": " << OptimizeLine(result) << "\n";
  return Status::OK();
}

Status RunCompactor(const GlobalOptions& global, const OptimizeFlags& flags, std::ostream& out) {
  service::CompactorOptions options;
  NL_ASSIGN_OR_RETURN(options.optimize, ToOptimizeOptions(flags));
  NL_ASSIGN_OR_RETURN(options.interval_ms, DurationFlag("--interval", flags.interval));
  NL_ASSIGN_OR_RETURN(options.iterations, IterationsFlag(flags.iterations));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  service::CompactorService compactor(
      *table, options, [&out](int64_t round, const Result<delta::OptimizeResult>& result) {
        // A failed round (store unreachable, a conflict storm) is reported; the next one runs.
        out << "compactor round " << round << ": "
            << (result.ok() ? OptimizeLine(*result) : "error: " + result.status().ToString())
            << std::endl;
      });
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  NL_RETURN_NOT_OK(compactor.Run(stop).status());
  out << "compactor: stopped" << std::endl;
  return Status::OK();
}

struct VacuumFlags {
  std::string uri;
  double retention_hours = delta::kMinimumRetentionHours;
  bool force_retention = false;
  bool dry_run = false;
  std::string interval = "60s";
  int64_t iterations = 0;

  delta::VacuumOptions ToOptions() const {
    delta::VacuumOptions options;
    options.retention_hours = retention_hours;
    options.force_retention = force_retention;
    options.dry_run = dry_run;
    return options;
  }
};

Status RunVacuum(const GlobalOptions& global, const VacuumFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  delta::VacuumOptions options = flags.ToOptions();
  NL_ASSIGN_OR_RETURN(auto result, delta::Vacuum(*table, options));
  if (flags.dry_run) {
    for (const auto& path : result.deleted) out << "would delete " << path << "\n";
  }
  out << "vacuum " << flags.uri << ": " << VacuumLine(result, options) << std::endl;
  return Status::OK();
}

Status RunVacuumer(const GlobalOptions& global, const VacuumFlags& flags, std::ostream& out) {
  service::VacuumerOptions options;
  options.vacuum = flags.ToOptions();
  NL_ASSIGN_OR_RETURN(options.interval_ms, DurationFlag("--interval", flags.interval));
  NL_ASSIGN_OR_RETURN(options.iterations, IterationsFlag(flags.iterations));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  service::VacuumerService vacuumer(
      *table, options, [&](int64_t round, const Result<delta::VacuumResult>& result) {
        out << "vacuumer round " << round << ": "
            << (result.ok() ? VacuumLine(*result, options.vacuum)
                            : "error: " + result.status().ToString())
            << std::endl;
      });
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  NL_RETURN_NOT_OK(vacuumer.Run(stop).status());
  out << "vacuumer: stopped" << std::endl;
  return Status::OK();
}

struct WriterFlags {
  std::string uri;
  service::WriterOptions options;
  std::string interval = "1s";
};

void PrintWriterEvent(const std::string& uri, const service::WriterEvent& event,
                      std::ostream& out) {
  switch (event.kind) {
    case service::WriterEvent::Kind::kResuming:
      out << "writer: " << uri << " app " << event.app_id << " resuming at batch " << event.batch;
      break;
    case service::WriterEvent::Kind::kCommitted:
      out << "writer batch " << event.batch << ": version " << event.version << ", " << event.rows
          << " rows, " << event.files << " files"
          << (event.skipped ? " (already committed, skipped)" : "") << ", "
          << Progress::FormatCount(event.rows_per_second) << " rows/s";
      break;
    case service::WriterEvent::Kind::kFailed:
      out << "writer batch " << event.batch << ": error: " << event.error.ToString();
      break;
  }
  out << std::endl;
}

Status RunWriter(const GlobalOptions& global, WriterFlags flags, std::ostream& out) {
  if (flags.options.rows_per_commit <= 0) return Status::Invalid("--rows-per-commit must be > 0");
  if (flags.options.commits < 0) return Status::Invalid("--commits must not be negative");
  NL_ASSIGN_OR_RETURN(flags.options.interval_ms, DurationFlag("--interval", flags.interval));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri, /*must_exist=*/false));
  NL_ASSIGN_OR_RETURN(auto writer,
                      service::WriterService::Make(
                          *table, flags.options, [&](const service::WriterEvent& event) {
                            PrintWriterEvent(flags.uri, event, out);
                          }));
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  NL_ASSIGN_OR_RETURN(service::WriterSummary summary, writer->Run(stop));
  out << "writer: stopped after " << summary.commits << " commits" << std::endl;
  return Status::OK();
}

void AddOptimizeCommand(CLI::App& table, CommandContext& context) {
  auto flags = std::make_shared<OptimizeFlags>();
  CLI::App* optimize = table.add_subcommand("optimize", "Compact small files (OPTIMIZE)");
  optimize->add_option("uri", flags->uri, "table URI")->required();
  optimize->add_option("--target-size", flags->target_size, "target file size");
  optimize->add_option("--where", flags->where, "partition predicate");
  optimize
      ->add_option("--zorder-by", flags->zorder_by,
                   "Z-order whole partitions by these columns, e.g. x,y (file skipping on each)")
      ->delimiter(',');
  optimize->callback([&context, flags] {
    context.action = [&context, flags] {
      return RunOptimize(context.options, *flags, *context.out);
    };
  });
}

void AddVacuumCommand(CLI::App& table, CommandContext& context) {
  auto flags = std::make_shared<VacuumFlags>();
  CLI::App* vacuum = table.add_subcommand("vacuum", "Delete files no retained version needs");
  vacuum->add_option("uri", flags->uri, "table URI")->required();
  vacuum->add_option("--retention-hours", flags->retention_hours,
                     "keep what versions of the last H hours need (default 168)");
  vacuum->add_flag("--force-retention", flags->force_retention,
                   "allow a retention under 168 hours (files no version references, such as "
                   "uploads not committed yet, are still kept for at least 1 hour)");
  vacuum->add_flag("--dry-run", flags->dry_run, "list what would be deleted");
  vacuum->callback([&context, flags] {
    context.action = [&context, flags] {
      return RunVacuum(context.options, *flags, *context.out);
    };
  });
}

void AddWriterCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<WriterFlags>();
  service::WriterOptions& options = flags->options;
  CLI::App* writer = app.add_subcommand("writer", "Append generated batches continuously");
  writer->add_option("uri", flags->uri, "table URI")->required();
  writer->add_option("--schema", options.schema, "generator preset (events, telemetry)");
  writer->add_option("--app", options.app, "writer identity for idempotent batches");
  writer->add_option("--rows-per-commit", options.rows_per_commit, "rows per commit");
  writer->add_option("--interval", flags->interval, "pause between commits (e.g. 500ms, 1s, 0)");
  writer->add_option("--commits", options.commits, "stop after N commits (0: never)");
  writer->add_option("--seed", options.seed, "generator seed");
  writer->callback([&context, flags] {
    context.action = [&context, flags] {
      return RunWriter(context.options, *flags, *context.out);
    };
  });
}

void AddCompactorCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<OptimizeFlags>();
  CLI::App* compactor = app.add_subcommand("compactor", "Run OPTIMIZE every --interval");
  compactor->add_option("uri", flags->uri, "table URI")->required();
  compactor->add_option("--interval", flags->interval, "pause between rounds (default 10s)");
  compactor->add_option("--target-size", flags->target_size, "target file size");
  compactor->add_option("--where", flags->where, "partition predicate");
  compactor->add_option("--iterations", flags->iterations, "stop after N rounds");
  compactor->callback([&context, flags] {
    context.action = [&context, flags] {
      return RunCompactor(context.options, *flags, *context.out);
    };
  });
}

void AddVacuumerCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<VacuumFlags>();
  CLI::App* vacuumer = app.add_subcommand("vacuumer", "Run VACUUM every --interval");
  vacuumer->add_option("uri", flags->uri, "table URI")->required();
  vacuumer->add_option("--interval", flags->interval, "pause between rounds (default 60s)");
  vacuumer->add_option("--retention-hours", flags->retention_hours, "retention window");
  vacuumer->add_flag("--force-retention", flags->force_retention,
                     "allow a retention under 168 hours (uncommitted uploads are still kept for "
                     "at least 1 hour)");
  vacuumer->add_option("--iterations", flags->iterations, "stop after N rounds");
  vacuumer->callback([&context, flags] {
    context.action = [&context, flags] {
      return RunVacuumer(context.options, *flags, *context.out);
    };
  });
}

}  // namespace

void AddMaintenanceCommands(CLI::App& app, CommandContext& context) {
  CLI::App* table = app.get_subcommand("table");
  AddOptimizeCommand(*table, context);
  AddVacuumCommand(*table, context);
  AddWriterCommand(app, context);
  AddCompactorCommand(app, context);
  AddVacuumerCommand(app, context);
}

}  // namespace neuralake::cli
