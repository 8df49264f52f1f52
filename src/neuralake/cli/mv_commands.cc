// Materialized views:
//
//   neuralake mv refresh db.mv [--catalog FILE] [--full]
//   neuralake mv status [db.mv] [--catalog FILE]
//   neuralake refresher [--catalog FILE] [--interval 10s] [--iterations N]
//
// `mv refresh` prints the mode, the reason, the source versions read, rows and time. The hidden
// test hook NEURALAKE_MV_PAUSE_BEFORE_COMMIT_MS sleeps just before the commit (kill -9 tests).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <ostream>

#include "neuralake/catalog/catalog_file.h"
#include "neuralake/cli/cli.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/cli/quality_commands.h"
#include "neuralake/common/time.h"
#include "neuralake/mv/refresh.h"
#include "neuralake/mv/refresher_service.h"

namespace neuralake::cli {
namespace {

struct MvFlags {
  std::string catalog;
  std::string view;
  bool full = false;
  std::string interval = "10s";
  int64_t iterations = 0;
};

mv::RefreshOptions RefreshOptionsFor(const GlobalOptions& global) {
  mv::RefreshOptions options;
  options.storage = global.storage;
  if (const char* pause = std::getenv("NEURALAKE_MV_PAUSE_BEFORE_COMMIT_MS")) {
    options.pause_before_commit_ms = std::atoll(pause);
  }
  // Expectations on the view's rows (fail -> no commit; docs/quality.md).
  options.check_rows = MvQualityHook(global, std::cerr);
  return options;
}

std::string Versions(const std::vector<mv::SourceVersion>& sources, bool recorded_too) {
  std::string text;
  for (const auto& source : sources) {
    if (!text.empty()) text += ", ";
    text += source.table + "@";
    if (recorded_too) {
      text += source.recorded ? std::to_string(*source.recorded) : std::string("-");
      text += "/";
    }
    text += source.current ? std::to_string(*source.current) : std::string("unversioned");
  }
  return text;
}

void PrintRefresh(const mv::RefreshResult& result, std::ostream& out) {
  out << "refresh " << result.view << ": mode " << mv::RefreshModeName(result.mode) << " ("
      << result.reason << "); sources " << Versions(result.sources, false);
  if (result.committed) {
    out << "; version " << result.version << ", " << result.rows_computed << " rows computed, "
        << result.rows_added << " rows in " << result.files_added << " files added, "
        << result.files_removed << " files removed";
  } else {
    out << "; nothing committed (version " << result.version << ")";
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", result.seconds);
  out << "; " << seconds << " s" << std::endl;
}

Status RunRefresh(const GlobalOptions& global, const MvFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(flags.catalog));
  mv::RefreshOptions options = RefreshOptionsFor(global);
  options.full = flags.full;
  NL_ASSIGN_OR_RETURN(auto result, mv::Refresh(catalog, flags.view, options));
  PrintRefresh(result, out);
  return Status::OK();
}

Status RunStatus(const GlobalOptions& global, const MvFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(flags.catalog));
  std::vector<std::string> views = mv::MaterializedViews(catalog);
  if (!flags.view.empty()) views = {flags.view};
  if (views.empty()) out << "no materialized views in the catalog" << std::endl;
  for (const auto& view : views) {
    auto status = mv::StatusOf(catalog, view, global.storage);
    if (!status.ok()) {
      out << view << ": error: " << status.status().ToString() << std::endl;
      continue;
    }
    out << status->view << ": ";
    if (!status->refreshed) {
      out << "not refreshed yet; sources " << Versions(status->sources, true) << std::endl;
      continue;
    }
    out << (status->stale ? "stale" : "fresh") << ", " << status->commits_behind
        << " source commits behind; sources (used/current) " << Versions(status->sources, true)
        << "; version " << status->version.value_or(-1) << "; last refresh "
        << (status->last_refresh_ms ? FormatIsoMillis(*status->last_refresh_ms) : "?") << " "
        << status->last_mode << " (" << status->last_reason << ")";
    if (status->interval_seconds) out << "; interval " << *status->interval_seconds << "s";
    out << std::endl;
  }
  return Status::OK();
}

Status RunRefresher(const GlobalOptions& global, const MvFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(catalog::Catalog catalog, catalog::LoadCatalogFile(flags.catalog));
  mv::RefresherOptions options;
  options.refresh = RefreshOptionsFor(global);
  NL_ASSIGN_OR_RETURN(options.poll_ms, DurationFlag("--interval", flags.interval));
  if (flags.iterations < 0) return Status::Invalid("--iterations must not be negative");
  options.iterations = flags.iterations;
  mv::RefresherService refresher(
      catalog, options, [&out](const std::string& view, const Result<mv::RefreshResult>& result) {
        if (result.ok()) {
          PrintRefresh(*result, out);
        } else {
          out << "refresh " << view << ": error: " << result.status().ToString() << std::endl;
        }
      });
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  NL_RETURN_NOT_OK(refresher.Run(stop).status());
  out << "refresher: stopped" << std::endl;
  return Status::OK();
}

}  // namespace

void AddMvCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<MvFlags>();
  const char* catalog_help = "catalog YAML (default: $NEURALAKE_CATALOG, else ./catalog.yaml)";
  CLI::App* mv = app.add_subcommand("mv", "Materialized views: refresh, status");
  mv->require_subcommand(1);
  CLI::App* refresh = mv->add_subcommand("refresh", "Refresh a materialized view");
  refresh->add_option("view", flags->view, "db.view")->required();
  refresh->add_option("--catalog", flags->catalog, catalog_help);
  refresh->add_flag("--full", flags->full, "recompute fully even when incremental is possible");
  refresh->callback([&context, flags] {
    context.action = [&context, flags] { return RunRefresh(context.options, *flags, *context.out); };
  });
  CLI::App* status = mv->add_subcommand("status", "Source versions used vs current, per view");
  status->add_option("view", flags->view, "db.view (default: every materialized view)");
  status->add_option("--catalog", flags->catalog, catalog_help);
  status->callback([&context, flags] {
    context.action = [&context, flags] { return RunStatus(context.options, *flags, *context.out); };
  });
  CLI::App* refresher =
      app.add_subcommand("refresher", "Refresh materialized views as their intervals elapse");
  refresher->add_option("--catalog", flags->catalog, catalog_help);
  refresher->add_option("--interval", flags->interval, "pause between rounds (default 10s)");
  refresher->add_option("--iterations", flags->iterations, "stop after N rounds");
  refresher->callback([&context, flags] {
    context.action = [&context, flags] {
      return RunRefresher(context.options, *flags, *context.out);
    };
  });
}

}  // namespace neuralake::cli
