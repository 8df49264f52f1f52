// `neuralake sql`: read-only SQL over the tables of a catalog.
//
//   neuralake sql [--catalog FILE] [--format table|csv|json|ndjson|parquet] [--output FILE]
//                 [--timeout 60s] [--max-rows N] [--memory-limit 4GB] [--no-pruning] [--quiet]
//                 ["SELECT ..."]
//
// With no query and a terminal on stdin: an interactive prompt (readline, history in
// ~/.neuralake_history); statements end with ';'. Without a terminal, the query is read from stdin.
// Each lake scan prints a line on stderr with the files it considered, pruned and read.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <readline/history.h>
#include <readline/readline.h>

#include <CLI/CLI.hpp>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/cli/cli.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/cli/output.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::cli {
namespace {

struct SqlFlags {
  std::string catalog;
  std::string query;
  std::string format = "table";
  std::string output;
  std::string timeout = "60s";
  int64_t max_rows = 0;
  std::string memory_limit;
  int threads = 0;
  bool no_pruning = false;
  bool quiet = false;
};

void PrintScans(const engine::QueryOutcome& outcome, std::ostream& err) {
  for (const auto& scan : outcome.scans) err << scan.ToString() << "\n";
}

// Deprecated tables warn on every use, even with --quiet.
void PrintWarnings(const engine::QueryOutcome& outcome, std::ostream& err) {
  for (const auto& warning : outcome.warnings) err << "warning: " << warning << "\n";
}

Status RunOne(const sql::QueryService& service, const SqlFlags& flags, const std::string& query,
              std::ostream& out, std::ostream& err) {
  NL_ASSIGN_OR_RETURN(std::string format, CanonicalFormat(flags.format, !flags.output.empty()));
  if (!flags.output.empty()) {
    NL_ASSIGN_OR_RETURN(auto outcome, service.Export(query, flags.output, format));
    PrintWarnings(outcome, err);
    if (!flags.quiet) {
      PrintScans(outcome, err);
      err << "wrote " << outcome.row_count << " rows to " << flags.output << " (" << format
          << ")" << (outcome.truncated ? ", truncated at --max-rows" : "") << "\n";
    }
    return Status::OK();
  }
  NL_ASSIGN_OR_RETURN(auto outcome, service.Query(query, CellEncodingFor(format)));
  PrintRows(outcome.table, format, out);
  PrintWarnings(outcome, err);
  if (!flags.quiet) {
    out.flush();
    PrintScans(outcome, err);
    std::ostringstream summary;
    summary << outcome.row_count << (outcome.row_count == 1 ? " row" : " rows")
            << (outcome.truncated ? " (truncated at --max-rows)" : "") << " in " << std::fixed
            << std::setprecision(3) << outcome.seconds << " s\n";
    (format == "table" ? out : err) << summary.str();
  }
  return Status::OK();
}

Status Interactive(const sql::QueryService& service, const SqlFlags& flags, std::ostream& out,
                   std::ostream& err) {
  const char* home = std::getenv("HOME");
  std::string history = std::string(home != nullptr ? home : ".") + "/.neuralake_history";
  read_history(history.c_str());
  err << "neuralake sql: " << service.catalog().AllTables().size()
      << " catalog tables; end statements with ';', .tables lists them, .quit or Ctrl-D leaves\n";
  std::string buffer;
  while (true) {
    char* line = readline(buffer.empty() ? "neuralake> " : "      ...> ");
    if (line == nullptr) break;
    std::string text(line);
    std::free(line);
    if (buffer.empty() && (text == ".quit" || text == ".exit")) break;
    if (buffer.empty() && text == ".tables") {
      for (const auto* table : service.catalog().AllTables()) {
        out << table->QualifiedName() << "\t" << catalog::TableKindName(table->kind) << "\t"
            << table->uri << "\n";
      }
      continue;
    }
    buffer += (buffer.empty() ? "" : "\n") + text;
    auto end = buffer.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) {
      buffer.clear();
      continue;
    }
    if (buffer[end] != ';') continue;
    add_history(buffer.c_str());
    Status status = RunOne(service, flags, buffer, out, err);
    if (!status.ok()) err << "error: " << status.ToString() << "\n";
    buffer.clear();
  }
  write_history(history.c_str());
  return Status::OK();
}

Status SqlCommand(const GlobalOptions& global, const SqlFlags& flags, std::ostream& out,
                  std::ostream& err) {
  NL_RETURN_NOT_OK(CanonicalFormat(flags.format, !flags.output.empty()).status());
  if (flags.max_rows < 0) return Status::Invalid("--max-rows must not be negative");
  sql::QueryServiceOptions options;
  NL_ASSIGN_OR_RETURN(options.timeout_ms, DurationFlag("--timeout", flags.timeout));
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(flags.catalog));
  options.storage = global.storage;
  options.max_rows = flags.max_rows;
  options.memory_limit = flags.memory_limit;
  options.threads = flags.threads;
  options.prune_files = !flags.no_pruning;
  NL_ASSIGN_OR_RETURN(auto service, sql::QueryService::Make(std::move(catalog), options));

  if (!flags.query.empty()) return RunOne(*service, flags, flags.query, out, err);
  if (isatty(STDIN_FILENO)) return Interactive(*service, flags, out, err);
  std::stringstream query;
  query << std::cin.rdbuf();
  if (query.str().find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::Invalid("no query: pass one as an argument or on stdin");
  }
  return RunOne(*service, flags, query.str(), out, err);
}

}  // namespace

void AddSqlCommand(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<SqlFlags>();
  CLI::App* sql = app.add_subcommand(
      "sql", "Read-only SQL over catalog tables (interactive when no query is given)");
  sql->add_option("query", flags->query, "the SELECT statement (default: stdin / interactive)");
  sql->add_option("--catalog", flags->catalog,
                  "catalog YAML (default: $NEURALAKE_CATALOG, else ./catalog.yaml)");
  sql->add_option("--format", flags->format,
                  "table (default), csv, json or ndjson (the same: one object per line), parquet");
  sql->add_option("--output", flags->output, "write the rows to FILE (local, s3://) instead");
  sql->add_option("--timeout", flags->timeout, "cancel the query after this long (default 60s)");
  sql->add_option("--max-rows", flags->max_rows, "stop after N rows (default: all)");
  sql->add_option("--memory-limit", flags->memory_limit, "DuckDB memory limit, e.g. 4GB");
  sql->add_option("--threads", flags->threads, "DuckDB threads (default: all cores)");
  sql->add_flag("--no-pruning", flags->no_pruning,
                "read every active file (no partition/statistics skipping)");
  sql->add_flag("-q,--quiet", flags->quiet, "no scan report or row count on stderr");
  sql->callback([&context, flags] {
    context.action = [&context, flags] {
      return SqlCommand(context.options, *flags, *context.out, *context.err);
    };
  });
}

}  // namespace neuralake::cli
