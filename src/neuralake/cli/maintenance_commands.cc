// Table maintenance and the low-latency writer pattern's three processes.
//
//   neuralake table optimize URI [--target-size 128MB] [--where PRED] [--zorder-by COL,...]
//   neuralake table vacuum URI [--retention-hours H] [--dry-run] [--force-retention]
//   neuralake writer URI [--schema events] [--rows-per-commit N] [--interval 1s] [--commits N]
//   neuralake compactor URI [--interval 10s] [--target-size 128MB]
//   neuralake vacuumer URI [--interval 60s] [--retention-hours 168] [--force-retention]
//
// The processes loop until SIGTERM/SIGINT (or --iterations/--commits), finish the step they are
// in, and exit 0. Each prints one status line per step on stdout. The writer is idempotent
// across restarts: batch b is committed with txn (appId "writer:<app>", version b) and holds rows
// [b * rows, (b + 1) * rows) of the dataset, so a restarted writer resumes after the last batch
// the table recorded, and a batch is never written twice.
#include <csignal>
#include <thread>

#include <CLI/CLI.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/common/progress.h"
#include "neuralake/delta/optimize.h"
#include "neuralake/delta/vacuum.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/gen/dataset.h"

namespace neuralake::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

void InstallStopHandlers() {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
}

// Sleeps up to `seconds`, waking early on a stop signal.
void SleepUnlessStopped(double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!g_stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// "10s", "500ms", "2m", "1.5" (seconds).
Result<double> ParseInterval(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit = end != nullptr ? std::string(end) : "";
  if (end == text.c_str() || !(value >= 0)) {
    return Status::Invalid("bad interval '" + text + "' (e.g. 500ms, 10s, 2m)");
  }
  if (unit.empty() || unit == "s") return value;
  if (unit == "ms") return value / 1000;
  if (unit == "m") return value * 60;
  if (unit == "h") return value * 3600;
  return Status::Invalid("bad interval unit in '" + text + "' (ms, s, m, h)");
}

Result<std::unique_ptr<delta::DeltaTable>> OpenTable(const GlobalOptions& global,
                                                     const std::string& uri,
                                                     engine::Engine* engine = nullptr) {
  delta::TableOptions options;
  options.storage = global.storage;
  options.engine = engine;
  NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(uri, options));
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
                Progress::FormatBytes(static_cast<double>(r.bytes_removed)).c_str(),
                Progress::FormatBytes(static_cast<double>(r.bytes_added)).c_str(),
                static_cast<long long>(r.bins_conflicted), r.seconds,
                Progress::FormatBytes(r.bytes_added / std::max(r.seconds, 1e-9)).c_str());
  return line;
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
  NL_ASSIGN_OR_RETURN(options.target_file_size, delta::ParseByteSize(flags.target_size));
  if (!flags.where.empty()) options.partition_predicate = flags.where;
  for (const std::string& column : flags.zorder_by) {
    if (column.empty()) return Status::Invalid("--zorder-by has an empty column name");
    options.zorder_by.push_back(column);
  }
  return options;
}

Status RunOptimize(const GlobalOptions& global, const OptimizeFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto options, ToOptimizeOptions(flags));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  NL_ASSIGN_OR_RETURN(auto result, delta::Optimize(*table, options));
  out << "optimize " << flags.uri << ": " << OptimizeLine(result) << "\n";
  return Status::OK();
}

Status RunCompactor(const GlobalOptions& global, const OptimizeFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto options, ToOptimizeOptions(flags));
  NL_ASSIGN_OR_RETURN(double interval, ParseInterval(flags.interval));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  InstallStopHandlers();
  for (int64_t round = 1; !g_stop.load(); ++round) {
    auto result = delta::Optimize(*table, options);
    if (result.ok()) {
      out << "compactor round " << round << ": " << OptimizeLine(*result) << std::endl;
    } else {
      // Transient trouble (store unreachable, a conflict storm): report and try next round.
      out << "compactor round " << round << ": error: " << result.status().ToString()
          << std::endl;
    }
    if (flags.iterations > 0 && round >= flags.iterations) break;
    SleepUnlessStopped(interval);
  }
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
};

Status RunVacuumOnce(delta::DeltaTable& table, const VacuumFlags& flags, std::ostream& out,
                     const std::string& prefix) {
  delta::VacuumOptions options;
  options.retention_hours = flags.retention_hours;
  options.force_retention = flags.force_retention;
  options.dry_run = flags.dry_run;
  NL_ASSIGN_OR_RETURN(auto result, delta::Vacuum(table, options));
  if (flags.dry_run) {
    for (const auto& path : result.deleted) out << "would delete " << path << "\n";
  }
  out << prefix << (flags.dry_run ? "would delete " : "deleted ") << result.deleted.size()
      << " files (" << Progress::FormatBytes(static_cast<double>(result.bytes)) << ") of "
      << result.files_scanned << " scanned; " << result.files_referenced
      << " referenced by version " << result.version << " and the last "
      << flags.retention_hours << " h; " << result.untracked_kept
      << " uncommitted kept (younger than " << result.untracked_grace_hours << " h)"
      << std::endl;
  return Status::OK();
}

Status RunVacuum(const GlobalOptions& global, const VacuumFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  return RunVacuumOnce(*table, flags, out, "vacuum " + flags.uri + ": ");
}

Status RunVacuumer(const GlobalOptions& global, const VacuumFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(double interval, ParseInterval(flags.interval));
  NL_ASSIGN_OR_RETURN(auto table, OpenTable(global, flags.uri));
  // Refuse a bad retention before looping (the same check Vacuum makes).
  if (flags.retention_hours < delta::kMinimumRetentionHours && !flags.force_retention) {
    delta::VacuumOptions refused;
    refused.retention_hours = flags.retention_hours;
    refused.dry_run = true;
    return delta::Vacuum(*table, refused).status();
  }
  InstallStopHandlers();
  for (int64_t round = 1; !g_stop.load(); ++round) {
    Status status = RunVacuumOnce(*table, flags, out, "vacuumer round " + std::to_string(round) +
                                                          ": ");
    if (!status.ok()) {
      out << "vacuumer round " << round << ": error: " << status.ToString() << std::endl;
    }
    if (flags.iterations > 0 && round >= flags.iterations) break;
    SleepUnlessStopped(interval);
  }
  out << "vacuumer: stopped" << std::endl;
  return Status::OK();
}

struct WriterFlags {
  std::string uri;
  std::string schema = "events";
  std::string app = "default";
  int64_t rows_per_commit = 10'000;
  std::string interval = "1s";
  int64_t commits = 0;  // 0: until stopped
  uint64_t seed = 42;
};

Status RunWriter(const GlobalOptions& global, const WriterFlags& flags, std::ostream& out) {
  if (flags.rows_per_commit <= 0) return Status::Invalid("--rows-per-commit must be > 0");
  NL_ASSIGN_OR_RETURN(double interval, ParseInterval(flags.interval));
  NL_ASSIGN_OR_RETURN(gen::DatasetSpec spec, gen::PresetSpec(flags.schema));
  NL_ASSIGN_OR_RETURN(gen::Dataset dataset, gen::CompileDataset(spec));
  engine::EngineOptions engine_options;
  engine_options.storage = global.storage;
  NL_ASSIGN_OR_RETURN(auto engine, engine::Engine::Make(engine_options));
  delta::TableOptions table_options;
  table_options.storage = global.storage;
  table_options.engine = engine.get();
  NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(flags.uri, table_options));
  std::string app_id = "writer:" + flags.app;
  int64_t next_batch = 0;
  NL_ASSIGN_OR_RETURN(bool exists, table->Exists());
  if (exists) {
    NL_ASSIGN_OR_RETURN(auto snapshot, table->LoadSnapshot());
    auto it = snapshot->app_transactions.find(app_id);
    if (it != snapshot->app_transactions.end()) next_batch = it->second.version + 1;
  }
  out << "writer: " << flags.uri << " app " << app_id << " resuming at batch " << next_batch
      << std::endl;
  InstallStopHandlers();
  int64_t written = 0;
  auto started = std::chrono::steady_clock::now();
  while (!g_stop.load() && (flags.commits == 0 || written < flags.commits)) {
    engine::ColumnBatch batch =
        dataset.Generate(flags.seed, next_batch * flags.rows_per_commit, flags.rows_per_commit);
    NL_RETURN_NOT_OK(engine->LoadBatches("neuralake_writer_batch", {&batch}));
    delta::DataSource source = delta::DataSource::FromQuery("SELECT * FROM neuralake_writer_batch");
    source.description = "neuralake writer";
    delta::WriteOptions write;
    write.app_id = app_id;
    write.app_version = next_batch;
    Result<delta::WriteResult> result = Status::Internal("unset");
    if (!exists) {
      delta::CreateTableOptions create;
      create.source = source;
      create.write = write;
      result = delta::CreateTable(*table, create);
      if (!result.ok() && result.status().IsConflict()) {  // another writer created it first
        result = delta::Append(*table, source, write);
      }
      exists = result.ok();
    } else {
      result = delta::Append(*table, source, write);
    }
    if (!result.ok()) {
      out << "writer batch " << next_batch << ": error: " << result.status().ToString()
          << std::endl;
      SleepUnlessStopped(std::max(interval, 0.5));  // retry the same batch (idempotent)
      continue;
    }
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                         .count();
    ++written;
    out << "writer batch " << next_batch << ": version " << result->version << ", "
        << result->rows_added << " rows, " << result->files_added << " files"
        << (result->skipped ? " (already committed, skipped)" : "") << ", "
        << Progress::FormatCount(written * flags.rows_per_commit / std::max(elapsed, 1e-9))
        << " rows/s" << std::endl;
    ++next_batch;
    SleepUnlessStopped(interval);
  }
  out << "writer: stopped after " << written << " commits" << std::endl;
  return Status::OK();
}

}  // namespace

void AddMaintenanceCommands(CLI::App& app, CommandContext& context) {
  CLI::App* table = app.get_subcommand("table");

  auto optimize_flags = std::make_shared<OptimizeFlags>();
  CLI::App* optimize = table->add_subcommand("optimize", "Compact small files (OPTIMIZE)");
  optimize->add_option("uri", optimize_flags->uri, "table URI")->required();
  optimize->add_option("--target-size", optimize_flags->target_size, "target file size");
  optimize->add_option("--where", optimize_flags->where, "partition predicate");
  optimize
      ->add_option("--zorder-by", optimize_flags->zorder_by,
                    "Z-order whole partitions by these columns, e.g. x,y (file skipping on each)")
      ->delimiter(',');
  optimize->callback([&context, optimize_flags] {
    context.action = [&context, optimize_flags] {
      return RunOptimize(context.options, *optimize_flags, *context.out);
    };
  });

  auto vacuum_flags = std::make_shared<VacuumFlags>();
  CLI::App* vacuum = table->add_subcommand("vacuum", "Delete files no retained version needs");
  vacuum->add_option("uri", vacuum_flags->uri, "table URI")->required();
  vacuum->add_option("--retention-hours", vacuum_flags->retention_hours,
                     "keep what versions of the last H hours need (default 168)");
  vacuum->add_flag("--force-retention", vacuum_flags->force_retention,
                   "allow a retention under 168 hours (files no version references, such as "
                   "uploads not committed yet, are still kept for at least 1 hour)");
  vacuum->add_flag("--dry-run", vacuum_flags->dry_run, "list what would be deleted");
  vacuum->callback([&context, vacuum_flags] {
    context.action = [&context, vacuum_flags] {
      return RunVacuum(context.options, *vacuum_flags, *context.out);
    };
  });

  auto writer_flags = std::make_shared<WriterFlags>();
  CLI::App* writer = app.add_subcommand("writer", "Append generated batches continuously");
  writer->add_option("uri", writer_flags->uri, "table URI")->required();
  writer->add_option("--schema", writer_flags->schema, "generator preset (events, telemetry)");
  writer->add_option("--app", writer_flags->app, "writer identity for idempotent batches");
  writer->add_option("--rows-per-commit", writer_flags->rows_per_commit, "rows per commit");
  writer->add_option("--interval", writer_flags->interval, "pause between commits");
  writer->add_option("--commits", writer_flags->commits, "stop after N commits (0: never)");
  writer->add_option("--seed", writer_flags->seed, "generator seed");
  writer->callback([&context, writer_flags] {
    context.action = [&context, writer_flags] {
      return RunWriter(context.options, *writer_flags, *context.out);
    };
  });

  auto compactor_flags = std::make_shared<OptimizeFlags>();
  CLI::App* compactor = app.add_subcommand("compactor", "Run OPTIMIZE every --interval");
  compactor->add_option("uri", compactor_flags->uri, "table URI")->required();
  compactor->add_option("--interval", compactor_flags->interval, "pause between rounds");
  compactor->add_option("--target-size", compactor_flags->target_size, "target file size");
  compactor->add_option("--where", compactor_flags->where, "partition predicate");
  compactor->add_option("--iterations", compactor_flags->iterations, "stop after N rounds");
  compactor->callback([&context, compactor_flags] {
    context.action = [&context, compactor_flags] {
      return RunCompactor(context.options, *compactor_flags, *context.out);
    };
  });

  auto vacuumer_flags = std::make_shared<VacuumFlags>();
  CLI::App* vacuumer = app.add_subcommand("vacuumer", "Run VACUUM every --interval");
  vacuumer->add_option("uri", vacuumer_flags->uri, "table URI")->required();
  vacuumer->add_option("--interval", vacuumer_flags->interval, "pause between rounds");
  vacuumer->add_option("--retention-hours", vacuumer_flags->retention_hours, "retention window");
  vacuumer->add_flag("--force-retention", vacuumer_flags->force_retention,
                     "allow a retention under 168 hours (uncommitted uploads are still kept for "
                     "at least 1 hour)");
  vacuumer->add_option("--iterations", vacuumer_flags->iterations, "stop after N rounds");
  vacuumer->callback([&context, vacuumer_flags] {
    context.action = [&context, vacuumer_flags] {
      return RunVacuumer(context.options, *vacuumer_flags, *context.out);
    };
  });
}

}  // namespace neuralake::cli
