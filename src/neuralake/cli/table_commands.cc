// `neuralake table create|append|overwrite|read|history|describe|checkpoint`: Delta tables
// (delete, update and merge: dml_commands.cc).
//
// Thin wrappers over neuralake::delta (writer.h, checkpoint.h): parse flags, run one operation,
// print a one-line summary (or the rows / history / description) on stdout. Failures come back as
// a Status, which the CLI prints on stderr and turns into exit code 1.
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/cli/constraint_commands.h"
#include "neuralake/cli/dml_commands.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/cli/output.h"
#include "neuralake/cli/quality_commands.h"
#include "neuralake/common/json.h"
#include "neuralake/common/time.h"
#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"

namespace neuralake::cli {
namespace {

using delta::DeltaTable;

Result<delta::SchemaMode> SchemaModeFlag(const std::string& text, bool overwrite) {
  NL_ASSIGN_OR_RETURN(delta::SchemaMode mode, delta::ParseSchemaMode(text));
  if (mode == delta::SchemaMode::kOverwrite && !overwrite) {
    return Status::Invalid("--schema-mode overwrite is only valid for `table overwrite`");
  }
  return mode;
}

void ReportPostCommit(const delta::WriteResult& result, std::ostream& err) {
  if (!result.post_commit_status.ok()) {
    err << "warning: the commit succeeded but the checkpoint after it failed: "
        << result.post_commit_status.ToString() << "\n";
  }
}

std::string Plural(int64_t count, const char* word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

struct WriteFlags {
  std::string uri;
  std::string from;
  std::string schema_mode;
  std::optional<std::string> where;
  std::vector<std::string> partition_by;
  std::vector<std::string> properties;
  std::optional<std::string> app_id;
  int64_t app_version = 0;
  std::optional<std::string> target_file_size;
};

Result<delta::WriteOptions> WriteOptionsOf(const WriteFlags& flags, bool overwrite) {
  delta::WriteOptions options;
  NL_ASSIGN_OR_RETURN(options.schema_mode, SchemaModeFlag(flags.schema_mode, overwrite));
  if (flags.app_id) {
    options.app_id = *flags.app_id;
    options.app_version = flags.app_version;
  }
  if (flags.target_file_size) {
    NL_ASSIGN_OR_RETURN(int64_t size, SizeFlag("--target-file-size", *flags.target_file_size));
    options.target_file_size = size;
  }
  return options;
}

Status Create(const GlobalOptions& global, const WriteFlags& flags, std::ostream& out,
              std::ostream& err) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, flags.uri));
  delta::CreateTableOptions options;
  NL_ASSIGN_OR_RETURN(options.source, delta::DataSource::FromFile(flags.from));
  for (const auto& column : flags.partition_by) {
    if (!column.empty()) options.partition_columns.push_back(column);
  }
  for (const auto& property : flags.properties) {
    size_t equals = property.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Status::Invalid("--property expects key=value, got '" + property + "'");
    }
    options.properties[property.substr(0, equals)] = property.substr(equals + 1);
  }
  NL_ASSIGN_OR_RETURN(options.write, WriteOptionsOf(flags, false));
  NL_ASSIGN_OR_RETURN(delta::WriteResult result, delta::CreateTable(*table, options));
  out << "created " << table->uri() << " at version " << result.version << ": "
      << Plural(result.rows_added, "row") << " in " << Plural(result.files_added, "file") << "\n";
  ReportPostCommit(result, err);
  return Status::OK();
}

void PrintWrite(const std::string& verb, const DeltaTable& table, const delta::WriteResult& result,
                std::ostream& out) {
  if (result.skipped) {
    out << "already applied (txn recorded): " << table.uri() << " unchanged at version "
        << result.version << "\n";
    return;
  }
  out << verb << " " << Plural(result.rows_added, "row") << " in "
      << Plural(result.files_added, "file");
  if (result.files_removed > 0) out << ", removed " << Plural(result.files_removed, "file");
  if (result.schema_changed) out << ", schema updated";
  out << ": " << table.uri() << " version " << result.version << "\n";
}

// With a catalog (--catalog or $NEURALAKE_CATALOG) declaring expectations for the table at this
// uri, they run on the rows before the commit (quality_commands.h).
Status AppendCommand(const GlobalOptions& global, const WriteFlags& flags,
                     const QualityFlags& quality, std::ostream& out, std::ostream& err) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, flags.uri));
  NL_ASSIGN_OR_RETURN(delta::DataSource source, delta::DataSource::FromFile(flags.from));
  NL_ASSIGN_OR_RETURN(delta::WriteOptions options, WriteOptionsOf(flags, false));
  NL_ASSIGN_OR_RETURN(auto checked,
                      AppendChecked(global, *table, source, options, quality, out, err));
  delta::WriteResult result;
  if (checked) {
    result = std::move(*checked);
  } else {
    NL_ASSIGN_OR_RETURN(result, delta::Append(*table, source, options));
  }
  if (!result.committed && !result.skipped) {
    out << "nothing to append: " << source.description << " has no rows; " << table->uri()
        << " unchanged at version " << result.version << "\n";
    return Status::OK();
  }
  PrintWrite("appended", *table, result, out);
  ReportPostCommit(result, err);
  return Status::OK();
}

Status OverwriteCommand(const GlobalOptions& global, const WriteFlags& flags, std::ostream& out,
                        std::ostream& err) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, flags.uri));
  NL_ASSIGN_OR_RETURN(delta::DataSource source, delta::DataSource::FromFile(flags.from));
  NL_ASSIGN_OR_RETURN(delta::WriteOptions options, WriteOptionsOf(flags, true));
  NL_ASSIGN_OR_RETURN(delta::WriteResult result,
                      delta::Overwrite(*table, source, flags.where, options));
  PrintWrite("wrote", *table, result, out);
  ReportPostCommit(result, err);
  return Status::OK();
}

// ---- read ----

struct ReadFlags {
  std::string uri;
  std::optional<int64_t> version;
  std::optional<std::string> timestamp;
  std::string format = "table";
  std::optional<std::string> output;
  std::optional<int64_t> limit;
};

Status ReadCommand(const GlobalOptions& global, const ReadFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, flags.uri));
  std::shared_ptr<const delta::Snapshot> snapshot;
  if (flags.timestamp) {
    NL_ASSIGN_OR_RETURN(int64_t timestamp, TimestampFlag("--timestamp", *flags.timestamp));
    NL_ASSIGN_OR_RETURN(snapshot, table->LoadSnapshotAtTimestamp(timestamp));
  } else {
    NL_ASSIGN_OR_RETURN(snapshot, table->LoadSnapshot(flags.version));
  }
  NL_ASSIGN_OR_RETURN(auto plan, delta::BuildScanPlan(*table, *snapshot));
  engine::RegisteredScanPlan registered(std::move(plan));
  std::string scan = "SELECT * FROM " + registered.Relation();
  if (flags.limit) {
    if (*flags.limit < 0) return Status::Invalid("--limit must not be negative");
    scan = "SELECT * FROM (" + scan + ") LIMIT " + std::to_string(*flags.limit);
  }
  NL_ASSIGN_OR_RETURN(engine::Engine * engine, table->GetEngine());
  NL_ASSIGN_OR_RETURN(std::string format, CanonicalFormat(flags.format, flags.output.has_value()));
  if (flags.output) {
    NL_RETURN_NOT_OK(engine->ExportQuery(scan, {}, *flags.output, format).status());
    return Status::OK();
  }
  engine::QueryOptions query_options;
  query_options.cells = CellEncodingFor(format);
  NL_ASSIGN_OR_RETURN(engine::QueryOutcome outcome, engine->RunQuery(scan, query_options));
  PrintRows(outcome.table, format, out);
  if (format == "table") out << Plural(outcome.table.NumRows(), "row") << "\n";
  return Status::OK();
}

// ---- history, describe, checkpoint ----

Status HistoryCommand(const GlobalOptions& global, const std::string& uri, int64_t limit,
                      std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, uri));
  NL_ASSIGN_OR_RETURN(auto history, table->log().History(limit));
  out << std::left << std::setw(8) << "version" << std::setw(26) << "timestamp" << std::setw(24)
      << "operation" << "parameters\n";
  for (const auto& record : history) {
    std::string operation = record.info ? record.info->Operation() : "";
    std::string parameters;
    if (record.info && record.info->fields.contains("operationParameters")) {
      parameters = record.info->fields["operationParameters"].dump();
    }
    out << std::left << std::setw(8) << record.version << std::setw(26)
        << FormatIsoMillis(record.timestamp_ms) << std::setw(24)
        << (operation.empty() ? "-" : operation) << parameters << "\n";
  }
  return Status::OK();
}

void PrintFields(const std::vector<delta::StructField>& fields,
                 const std::vector<std::string>& partition_columns, const std::string& indent,
                 std::ostream& out) {
  size_t width = 4;
  for (const auto& field : fields) width = std::max(width, field.name.size());
  for (const auto& field : fields) {
    bool partition = std::find(partition_columns.begin(), partition_columns.end(), field.name) !=
                     partition_columns.end();
    out << indent << std::left << std::setw(static_cast<int>(width) + 2) << field.name
        << std::setw(16) << (field.type.kind() == delta::DataType::Kind::kStruct
                                 ? std::string("struct")
                                 : field.type.ToString())
        << (field.nullable ? "nullable" : "not null") << (partition ? "  (partition)" : "")
        << "\n";
    if (field.type.kind() == delta::DataType::Kind::kStruct) {
      PrintFields(field.type.fields(), {}, indent + "  ", out);
    }
  }
}

Status DescribeCommand(const GlobalOptions& global, const std::string& uri,
                       std::optional<int64_t> version, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, uri));
  NL_ASSIGN_OR_RETURN(auto snapshot, table->log().LoadSnapshot(version));
  const auto& metadata = snapshot->metadata;
  const auto& protocol = snapshot->protocol;
  int64_t rows = 0;
  bool rows_known = true;
  for (const auto& file : snapshot->files) {
    int64_t records = delta::NumRecords(file);
    if (records < 0) rows_known = false;
    rows += std::max<int64_t>(records, 0);
  }
  auto join = [](const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? std::string("(none)") : text;
  };
  out << "table:       " << table->uri() << "\n";
  out << "version:     " << snapshot->version << "\n";
  out << "table id:    " << metadata.id << "\n";
  if (metadata.name) out << "table name:  " << *metadata.name << "\n";
  if (metadata.description) out << "description: " << *metadata.description << "\n";
  if (metadata.created_time) out << "created:     " << FormatIsoMillis(*metadata.created_time) << "\n";
  out << "protocol:    reader " << protocol.min_reader_version << ", writer "
      << protocol.min_writer_version;
  if (protocol.reader_features) out << "; reader features: " << join(*protocol.reader_features);
  if (protocol.writer_features) out << "; writer features: " << join(*protocol.writer_features);
  out << "\n";
  Status readable = delta::CheckReadSupported(protocol, metadata);
  if (!readable.ok()) out << "readable:    no (" << readable.message() << ")\n";
  out << "partitions:  " << join(metadata.partition_columns) << "\n";
  out << "files:       " << snapshot->files.size() << "\n";
  out << "bytes:       " << snapshot->TotalBytes() << "\n";
  out << "rows:        " << (rows_known ? std::to_string(rows) : "unknown (files without stats)")
      << "\n";
  if (snapshot->checkpoint_version) {
    out << "checkpoint:  version " << *snapshot->checkpoint_version << "\n";
  }
  if (!snapshot->app_transactions.empty()) {
    out << "transactions:\n";
    for (const auto& [app, txn] : snapshot->app_transactions) {
      out << "  " << app << " = " << txn.version << "\n";
    }
  }
  out << "properties:" << (metadata.configuration.empty() ? " (none)" : "") << "\n";
  for (const auto& [key, value] : metadata.configuration) {
    out << "  " << key << " = " << value << "\n";
  }
  out << "schema:\n";
  PrintFields(snapshot->schema.fields, metadata.partition_columns, "  ", out);
  return Status::OK();
}

Status CheckpointCommand(const GlobalOptions& global, const std::string& uri, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenDeltaTable(global, uri));
  NL_ASSIGN_OR_RETURN(auto snapshot, table->LoadSnapshot());
  NL_ASSIGN_OR_RETURN(delta::LastCheckpoint last, delta::WriteCheckpoint(*table, *snapshot));
  out << "checkpoint written at version " << last.version << " (" << Plural(last.size, "action")
      << ", " << last.size_in_bytes.value_or(0) << " bytes)\n";
  NL_ASSIGN_OR_RETURN(delta::CleanupResult cleanup,
                      delta::CleanupLog(*table, *snapshot, delta::NowMs()));
  if (cleanup.deleted_files > 0) {
    out << "log cleanup removed " << Plural(cleanup.deleted_files, "expired log file")
        << " older than version " << cleanup.retained_from_version.value_or(0) << "\n";
  }
  return Status::OK();
}

// --txn-app-id / --txn-version: the flags every write subcommand shares.
void AddIdempotencyFlags(CLI::App* command, WriteFlags& flags) {
  command->add_option("--txn-app-id", flags.app_id,
                      "idempotent write: application id recorded as a Delta txn");
  command->add_option("--txn-version", flags.app_version,
                      "idempotent write: skipped when the table has this app's version >= it");
}

void AddCreateCommand(CLI::App* table, CommandContext& context) {
  auto flags = std::make_shared<WriteFlags>();
  CLI::App* create = table->add_subcommand("create", "Create a table from a data file");
  create->add_option("uri", flags->uri, "table location (path, s3://..., memory://...)")
      ->required();
  create->add_option("--from", flags->from, "initial data: .csv, .json/.jsonl, .parquet")
      ->required();
  create->add_option("--partition-by", flags->partition_by, "partition columns (a,b)")
      ->delimiter(',');
  create->add_option("--property", flags->properties,
                     "table property key=value (repeatable), e.g. delta.checkpointInterval=10");
  create->add_option("--target-file-size", flags->target_file_size,
                     "target data file size, e.g. 128mb (unpartitioned writes)");
  AddIdempotencyFlags(create, *flags);
  create->callback([&context, flags] {
    context.action = [&context, flags] {
      return Create(context.options, *flags, *context.out, *context.err);
    };
  });
}

void AddAppendCommand(CLI::App* table, CommandContext& context) {
  auto flags = std::make_shared<WriteFlags>();
  auto quality = std::make_shared<QualityFlags>();
  CLI::App* append = table->add_subcommand("append", "Append the rows of a data file");
  append->add_option("uri", flags->uri, "table location")->required();
  append->add_option("--from", flags->from, "data: .csv, .json/.jsonl, .parquet")->required();
  append->add_option("--schema-mode", flags->schema_mode,
                     "merge: add new columns to the table schema");
  append->add_option("--target-file-size", flags->target_file_size, "target data file size");
  AddIdempotencyFlags(append, *flags);
  append->add_option("--catalog", quality->catalog,
                     "catalog YAML whose table at this uri declares expectations to enforce "
                     "(default: $NEURALAKE_CATALOG; neither: no checks)");
  append->add_option("--quality-uri", quality->quality_uri,
                     "results table (default: <parent of the table uri>/_quality)");
  append->add_option("--quarantine-uri", quality->quarantine_uri,
                     "rows dropped by expectations (default: <table uri>_quarantine)");
  append->callback([&context, flags, quality] {
    context.action = [&context, flags, quality] {
      return AppendCommand(context.options, *flags, *quality, *context.out, *context.err);
    };
  });
}

void AddOverwriteCommand(CLI::App* table, CommandContext& context) {
  auto flags = std::make_shared<WriteFlags>();
  CLI::App* overwrite =
      table->add_subcommand("overwrite", "Replace the table (or the partitions --where selects)");
  overwrite->add_option("uri", flags->uri, "table location")->required();
  overwrite->add_option("--from", flags->from, "data: .csv, .json/.jsonl, .parquet")->required();
  overwrite->add_option("--where", flags->where,
                        "SQL predicate on partition columns: replace only those partitions");
  overwrite->add_option("--schema-mode", flags->schema_mode,
                        "merge: add new columns; overwrite: replace the schema");
  overwrite->add_option("--target-file-size", flags->target_file_size, "target data file size");
  AddIdempotencyFlags(overwrite, *flags);
  overwrite->callback([&context, flags] {
    context.action = [&context, flags] {
      return OverwriteCommand(context.options, *flags, *context.out, *context.err);
    };
  });
}

void AddReadCommand(CLI::App* table, CommandContext& context) {
  auto flags = std::make_shared<ReadFlags>();
  CLI::App* read = table->add_subcommand("read", "Print or export the rows of a version");
  read->add_option("uri", flags->uri, "table location")->required();
  auto* version = read->add_option("--version", flags->version, "table version (time travel)");
  read->add_option("--timestamp", flags->timestamp,
                   "latest version committed at or before this time (ISO-8601 or epoch ms)")
      ->excludes(version);
  read->add_option("--format", flags->format,
                   "table (default), csv, json or ndjson (the same: one object per line), "
                   "parquet");
  read->add_option("--output", flags->output, "write to this file (csv, json, ndjson, parquet)");
  read->add_option("--limit", flags->limit, "at most this many rows");
  read->callback([&context, flags] {
    context.action = [&context, flags] {
      return ReadCommand(context.options, *flags, *context.out);
    };
  });
}

void AddHistoryCommand(CLI::App* table, CommandContext& context) {
  auto uri = std::make_shared<std::string>();
  auto limit = std::make_shared<int64_t>(0);
  CLI::App* history = table->add_subcommand("history", "Commits, newest first");
  history->add_option("uri", *uri, "table location")->required();
  history->add_option("--limit", *limit, "at most this many commits");
  history->callback([&context, uri, limit] {
    context.action = [&context, uri, limit] {
      return HistoryCommand(context.options, *uri, *limit, *context.out);
    };
  });
}

void AddDescribeCommand(CLI::App* table, CommandContext& context) {
  auto uri = std::make_shared<std::string>();
  auto version = std::make_shared<std::optional<int64_t>>();
  CLI::App* describe =
      table->add_subcommand("describe", "Schema, partitions, version, files, bytes, properties");
  describe->add_option("uri", *uri, "table location")->required();
  describe->add_option("--version", *version, "describe this version");
  describe->callback([&context, uri, version] {
    context.action = [&context, uri, version] {
      return DescribeCommand(context.options, *uri, *version, *context.out);
    };
  });
}

void AddCheckpointCommand(CLI::App* table, CommandContext& context) {
  auto uri = std::make_shared<std::string>();
  CLI::App* checkpoint =
      table->add_subcommand("checkpoint", "Write a checkpoint of the latest version");
  checkpoint->add_option("uri", *uri, "table location")->required();
  checkpoint->callback([&context, uri] {
    context.action = [&context, uri] {
      return CheckpointCommand(context.options, *uri, *context.out);
    };
  });
}

}  // namespace

void AddTableCommands(CLI::App& app, CommandContext& context) {
  CLI::App* table = app.add_subcommand("table", "Delta tables: create, write, read, inspect");
  table->require_subcommand(1);
  AddCreateCommand(table, context);
  AddAppendCommand(table, context);
  AddOverwriteCommand(table, context);
  AddDmlCommands(table, context);
  AddReadCommand(table, context);
  AddHistoryCommand(table, context);
  AddDescribeCommand(table, context);
  AddCheckpointCommand(table, context);
  AddConstraintCommands(table, context);
}

}  // namespace neuralake::cli
