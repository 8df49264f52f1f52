#include "neuralake/service/writer_service.h"

#include <algorithm>
#include <chrono>

#include "neuralake/delta/writer.h"

namespace neuralake::service {
namespace {

constexpr int64_t kMinimumRetryPauseMs = 500;

}  // namespace

Result<std::unique_ptr<WriterService>> WriterService::Make(delta::DeltaTable& table,
                                                           WriterOptions options,
                                                           Listener listener) {
  if (options.rows_per_commit <= 0) {
    return Status::Invalid("writer: rows per commit must be > 0, not " +
                           std::to_string(options.rows_per_commit));
  }
  if (options.interval_ms < 0 || options.commits < 0) {
    return Status::Invalid("writer: interval and commit count must not be negative");
  }
  NL_ASSIGN_OR_RETURN(gen::DatasetSpec spec, gen::PresetSpec(options.schema));
  NL_ASSIGN_OR_RETURN(gen::Dataset dataset, gen::CompileDataset(spec));
  return std::unique_ptr<WriterService>(
      new WriterService(table, std::move(options), std::move(dataset), std::move(listener)));
}

WriterService::WriterService(delta::DeltaTable& table, WriterOptions options,
                             gen::Dataset dataset, Listener listener)
    : table_(table),
      options_(std::move(options)),
      dataset_(std::move(dataset)),
      listener_(std::move(listener)),
      app_id_("writer:" + options_.app) {}

Result<delta::WriteResult> WriterService::WriteBatch(int64_t batch, bool* table_exists) {
  engine::ColumnBatch rows = dataset_.Generate(options_.seed, batch * options_.rows_per_commit,
                                               options_.rows_per_commit);
  delta::DataSource source = delta::DataSource::FromBatches({&rows});
  source.description = "neuralake writer";
  delta::WriteOptions write;
  write.app_id = app_id_;
  write.app_version = batch;
  if (*table_exists) return delta::Append(table_, source, write);
  delta::CreateTableOptions create;
  create.source = source;
  create.write = write;
  Result<delta::WriteResult> result = delta::CreateTable(table_, create);
  if (!result.ok() && result.status().IsConflict()) {  // another writer created it first
    result = delta::Append(table_, source, write);
  }
  *table_exists = result.ok();
  return result;
}

Result<WriterSummary> WriterService::Run(const StopFlag& stop) {
  WriterSummary summary;
  NL_ASSIGN_OR_RETURN(bool exists, table_.Exists());
  if (exists) {
    NL_ASSIGN_OR_RETURN(auto snapshot, table_.LoadSnapshot());
    auto it = snapshot->app_transactions.find(app_id_);
    if (it != snapshot->app_transactions.end()) summary.next_batch = it->second.version + 1;
  }
  auto report = [&](WriterEvent event) {
    if (listener_) listener_(event);
  };
  WriterEvent resuming;
  resuming.app_id = app_id_;
  resuming.batch = summary.next_batch;
  report(resuming);
  auto started = std::chrono::steady_clock::now();
  while (!stop.stopped() && (options_.commits == 0 || summary.commits < options_.commits)) {
    WriterEvent event;
    event.app_id = app_id_;
    event.batch = summary.next_batch;
    Result<delta::WriteResult> result = WriteBatch(summary.next_batch, &exists);
    if (!result.ok()) {
      event.kind = WriterEvent::Kind::kFailed;
      event.commits = summary.commits;
      event.error = result.status();
      report(event);
      // Retry the same batch (idempotent) after a pause.
      stop.WaitFor(std::max(options_.interval_ms, kMinimumRetryPauseMs));
      continue;
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ++summary.commits;
    event.kind = WriterEvent::Kind::kCommitted;
    event.commits = summary.commits;
    event.version = result->version;
    event.rows = result->rows_added;
    event.files = result->files_added;
    event.skipped = result->skipped;
    event.rows_per_second =
        static_cast<double>(summary.commits * options_.rows_per_commit) / std::max(elapsed, 1e-9);
    report(event);
    ++summary.next_batch;
    if (options_.commits > 0 && summary.commits >= options_.commits) break;  // no last pause
    stop.WaitFor(options_.interval_ms);
  }
  return summary;
}

}  // namespace neuralake::service
