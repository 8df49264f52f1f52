// `neuralake table delete|update|merge`: row-level DML (delta/dml.h).
//
// Each prints one summary line (or, with --format json, one JSON object): rows deleted, updated
// and inserted, the data files touched, and how (deletion vectors, copy-on-write, or whole files
// for a DELETE on partition columns).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/cli/dml_commands.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/delta/dml.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"

namespace neuralake::cli {
namespace {

using delta::DeltaTable;

struct DmlFlags {
  std::string uri;
  std::optional<std::string> where;
  std::string set;
  std::string mode = "auto";
  std::string format = "text";
  std::optional<std::string> app_id;
  int64_t app_version = 0;
  std::optional<std::string> target_file_size;
  // merge
  std::string source;
  std::string on;
  std::optional<std::string> matched_update;
  bool matched_update_all = false;
  bool matched_delete = false;
  std::optional<std::string> condition;
  bool insert_all = false;
  bool by_source_delete = false;
};

Result<delta::DmlOptions> OptionsOf(const DmlFlags& flags) {
  delta::DmlOptions options;
  if (flags.mode == "auto") {
    options.mode = delta::DmlMode::kAuto;
  } else if (flags.mode == "copy-on-write" || flags.mode == "cow") {
    options.mode = delta::DmlMode::kCopyOnWrite;
  } else if (flags.mode == "deletion-vectors" || flags.mode == "dv") {
    options.mode = delta::DmlMode::kDeletionVectors;
  } else {
    return Status::Invalid("--mode must be auto, copy-on-write or deletion-vectors, not '" +
                           flags.mode + "'");
  }
  if (flags.format != "text" && flags.format != "json") {
    return Status::Invalid("--format must be text or json, not '" + flags.format + "'");
  }
  if (flags.app_id) {
    options.app_id = *flags.app_id;
    options.app_version = flags.app_version;
  }
  if (flags.target_file_size) {
    NL_ASSIGN_OR_RETURN(int64_t size, SizeFlag("--target-file-size", *flags.target_file_size));
    options.target_file_size = size;
  }
  // Test hook for kill -9 tests: stop after the files are written, before the commit.
  if (const char* pause = std::getenv("NEURALAKE_TEST_DML_PAUSE_BEFORE_COMMIT_MS")) {
    int64_t ms = std::atoll(pause);
    options.before_commit = [ms] {
      std::fprintf(stderr, "dml: files written, pausing %lld ms before the commit\n",
                   static_cast<long long>(ms));
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    };
  }
  return options;
}

std::string Plural(int64_t count, const char* word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

Status Report(const std::string& operation, const DeltaTable& table, const delta::DmlResult& r,
              const DmlFlags& flags, std::ostream& out, std::ostream& err) {
  if (flags.format == "json") {
    nlohmann::json report = {{"operation", operation},
                             {"table", table.uri()},
                             {"version", r.version},
                             {"committed", r.committed},
                             {"skipped", r.skipped},
                             {"mode", r.mode},
                             {"rows_deleted", r.rows_deleted},
                             {"rows_updated", r.rows_updated},
                             {"rows_inserted", r.rows_inserted},
                             {"rows_copied", r.rows_copied},
                             {"files_touched", r.files_touched},
                             {"files_removed", r.files_removed},
                             {"files_added", r.files_added},
                             {"deletion_vectors", r.deletion_vectors}};
    out << report.dump() << "\n";
  } else if (r.skipped) {
    out << operation << ": already applied (txn); " << table.uri() << " unchanged at version "
        << r.version << "\n";
  } else if (!r.committed) {
    out << operation << ": no rows matched; " << table.uri() << " unchanged at version "
        << r.version << "\n";
  } else {
    out << operation << ": " << r.rows_deleted << " deleted, " << r.rows_updated << " updated, "
        << r.rows_inserted << " inserted; " << Plural(r.files_touched, "file") << " touched ("
        << r.mode << ": " << r.deletion_vectors << " deletion vectors, " << r.files_removed
        << " removed, " << r.files_added << " added";
    if (r.rows_copied > 0) out << ", " << r.rows_copied << " rows copied";
    out << "): " << table.uri() << " version " << r.version << "\n";
  }
  if (!r.post_commit_status.ok()) {
    err << "warning: the commit succeeded but the checkpoint after it failed: "
        << r.post_commit_status.ToString() << "\n";
  }
  return Status::OK();
}

// The MERGE source: a Delta table (a location with a _delta_log) or a data file.
struct MergeSource {
  delta::DataSource source;
  std::unique_ptr<DeltaTable> table;
  std::unique_ptr<engine::RegisteredScanPlan> plan;
};

Result<MergeSource> OpenSource(const GlobalOptions& global, const std::string& text) {
  MergeSource merge_source;
  auto table = OpenDeltaTable(global, text);
  if (table.ok()) {
    auto exists = (*table)->Exists();
    if (exists.ok() && *exists) {
      merge_source.table = std::move(table).value();
      NL_ASSIGN_OR_RETURN(auto snapshot, merge_source.table->LoadSnapshot());
      NL_ASSIGN_OR_RETURN(auto plan, delta::BuildScanPlan(*merge_source.table, *snapshot));
      merge_source.plan = std::make_unique<engine::RegisteredScanPlan>(std::move(plan));
      merge_source.source =
          delta::DataSource::FromQuery("SELECT * FROM " + merge_source.plan->Relation());
      merge_source.source.description = text;
      return merge_source;
    }
  }
  auto file = delta::DataSource::FromFile(text);
  if (!file.ok()) {
    return Status::Invalid("--source '" + text + "' is neither a Delta table nor a data file: " +
                           file.status().message());
  }
  merge_source.source = std::move(file).value();
  return merge_source;
}

void AddCommonFlags(CLI::App* command, DmlFlags& flags) {
  command->add_option("uri", flags.uri, "table location")->required();
  command->add_option("--mode", flags.mode,
                      "auto (deletion vectors when the table enables them), copy-on-write or "
                      "deletion-vectors");
  command->add_option("--format", flags.format, "text (default) or json");
  command->add_option("--target-file-size", flags.target_file_size,
                      "size of files written (e.g. 128MB)");
  command->add_option("--txn-app-id", flags.app_id,
                      "idempotent write: application id recorded as a Delta txn");
  command->add_option("--txn-version", flags.app_version,
                      "idempotent write: skipped when the table has this app's version >= it");
}

}  // namespace

void AddDmlCommands(CLI::App* table, CommandContext& context) {
  auto del = std::make_shared<DmlFlags>();
  CLI::App* remove = table->add_subcommand("delete", "Delete the rows a predicate selects");
  AddCommonFlags(remove, *del);
  remove->add_option("--where", del->where, "SQL predicate over the table's columns")
      ->required();
  remove->callback([&context, del] {
    context.action = [&context, del]() -> Status {
      NL_ASSIGN_OR_RETURN(auto target, OpenDeltaTable(context.options, del->uri));
      NL_ASSIGN_OR_RETURN(delta::DmlOptions options, OptionsOf(*del));
      NL_ASSIGN_OR_RETURN(auto result, delta::DeleteRows(*target, *del->where, options));
      return Report("DELETE", *target, result, *del, *context.out, *context.err);
    };
  });

  auto upd = std::make_shared<DmlFlags>();
  CLI::App* update = table->add_subcommand("update", "Set columns of the rows a predicate selects");
  AddCommonFlags(update, *upd);
  update->add_option("--set", upd->set, "assignments: \"col = expr, ...\"")->required();
  update->add_option("--where", upd->where, "SQL predicate (default: every row)");
  update->callback([&context, upd] {
    context.action = [&context, upd]() -> Status {
      NL_ASSIGN_OR_RETURN(auto target, OpenDeltaTable(context.options, upd->uri));
      NL_ASSIGN_OR_RETURN(delta::DmlOptions options, OptionsOf(*upd));
      NL_ASSIGN_OR_RETURN(auto result, delta::UpdateRows(*target, upd->set, upd->where, options));
      return Report("UPDATE", *target, result, *upd, *context.out, *context.err);
    };
  });

  auto mrg = std::make_shared<DmlFlags>();
  CLI::App* merge = table->add_subcommand(
      "merge", "Upsert a source into the table (MERGE INTO t USING s ON ...)");
  AddCommonFlags(merge, *mrg);
  merge->add_option("--source", mrg->source, "a data file (.csv, .json, .parquet) or Delta table")
      ->required();
  merge->add_option("--on", mrg->on, "match condition over t.* and s.*, e.g. \"t.id = s.id\"")
      ->required();
  auto* set = merge->add_option("--when-matched-update", mrg->matched_update,
                                "update matched rows: \"col = s.col, ...\"");
  merge->add_flag("--when-matched-update-all", mrg->matched_update_all,
                  "update every column of matched rows from the source (by name)")
      ->excludes(set);
  merge->add_flag("--when-matched-delete", mrg->matched_delete, "delete matched rows");
  merge->add_option("--condition", mrg->condition,
                    "only matched rows satisfying this are deleted (checked before the update)");
  merge->add_flag("--when-not-matched-insert-all", mrg->insert_all,
                  "insert source rows without a match (columns by name)");
  merge->add_flag("--when-not-matched-by-source-delete", mrg->by_source_delete,
                  "delete target rows no source row matches");
  merge->callback([&context, mrg] {
    context.action = [&context, mrg]() -> Status {
      NL_ASSIGN_OR_RETURN(auto target, OpenDeltaTable(context.options, mrg->uri));
      NL_ASSIGN_OR_RETURN(delta::DmlOptions options, OptionsOf(*mrg));
      NL_ASSIGN_OR_RETURN(MergeSource source, OpenSource(context.options, mrg->source));
      delta::MergeSpec spec;
      spec.source = source.source;
      spec.on = mrg->on;
      spec.matched_update = mrg->matched_update;
      spec.matched_update_all = mrg->matched_update_all;
      spec.matched_delete = mrg->matched_delete;
      spec.matched_delete_condition = mrg->condition;
      spec.not_matched_insert_all = mrg->insert_all;
      spec.not_matched_by_source_delete = mrg->by_source_delete;
      NL_ASSIGN_OR_RETURN(auto result, delta::MergeRows(*target, spec, options));
      return Report("MERGE", *target, result, *mrg, *context.out, *context.err);
    };
  });
}

}  // namespace neuralake::cli
