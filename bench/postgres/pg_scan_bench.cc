// Scan rate of the postgres table kind (sql/postgres_source.h): a full scan counting rows and
// summing a column, and a selective filter pushed down. Run by bench/postgres/pg_scan_bench.sh.
#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "neuralake/sql/postgres_provider.h"

namespace {

using neuralake::engine::RecordBatch;
using neuralake::engine::SourceRequest;

struct Outcome {
  int64_t rows = 0;
  double sum = 0;
  double seconds = 0;
};

neuralake::Result<Outcome> Scan(const neuralake::engine::SourceTable& source,
                                const SourceRequest& request, const std::string& sum_column) {
  auto start = std::chrono::steady_clock::now();
  NL_ASSIGN_OR_RETURN(auto stream, source.open(request));
  Outcome outcome;
  RecordBatch batch;
  while (true) {
    NL_ASSIGN_OR_RETURN(bool more, stream->Next(&batch));
    if (!more) break;
    outcome.rows += batch.num_rows;
    int index = batch.ColumnIndex(sum_column);
    if (index < 0) continue;
    const auto& column = batch.columns[static_cast<size_t>(index)];
    for (int64_t row = 0; row < batch.num_rows; ++row) {
      if (column.IsValid(row)) outcome.sum += column.doubles[static_cast<size_t>(row)];
    }
  }
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postgres source scan benchmark"};
  std::string dsn, table, sum_column = "v", filter_column = "id";
  int64_t filter_below = 25000, fetch_rows = 0;
  int repeat = 3;
  app.add_option("--dsn", dsn)->required();
  app.add_option("--table", table)->required();
  app.add_option("--sum", sum_column, "a float8 column to sum");
  app.add_option("--filter-column", filter_column);
  app.add_option("--filter-below", filter_below, "the selective filter: column < value");
  app.add_option("--fetch-rows", fetch_rows, "rows per FETCH (0: the default)");
  app.add_option("--repeat", repeat);
  CLI11_PARSE(app, argc, argv);

  neuralake::catalog::TableDefinition definition;
  definition.database = "bench";
  definition.name = "scan";
  definition.kind = neuralake::catalog::TableKind::kPostgres;
  definition.options = {{"dsn", dsn}, {"table", table}};
  if (fetch_rows > 0) definition.options["fetch_rows"] = std::to_string(fetch_rows);
  auto provider = neuralake::sql::MakePostgresProvider(definition, {});
  if (!provider.ok()) return std::fprintf(stderr, "%s\n", provider.status().ToString().c_str()), 1;
  auto source = (*provider)->Source();
  if (!source.ok()) return std::fprintf(stderr, "%s\n", source.status().ToString().c_str()), 1;

  Outcome best_full, best_projected;
  SourceRequest full;  // every column decoded
  SourceRequest projected;
  projected.scan.columns = {sum_column};
  for (int i = 0; i < repeat; ++i) {
    for (auto [request, best] : {std::pair{&full, &best_full}, {&projected, &best_projected}}) {
      auto outcome = Scan(**source, *request, sum_column);
      if (!outcome.ok()) return std::fprintf(stderr, "%s\n", outcome.status().ToString().c_str()), 1;
      if (best->seconds == 0 || outcome->seconds < best->seconds) *best = *outcome;
    }
  }
  SourceRequest selective;
  selective.scan.columns = {filter_column, sum_column};
  selective.scan.filters = {*neuralake::engine::ScanFilter::Make(filter_column, "<",
                                                                 {filter_below})};
  auto filtered = Scan(**source, selective, sum_column);
  SourceRequest bound;  // a filter every row passes: the cursor path (COPY cannot bind values)
  bound.scan.filters = {*neuralake::engine::ScanFilter::Make(filter_column, ">=",
                                                             {int64_t{0}})};
  auto cursor = Scan(**source, bound, sum_column);
  if (!cursor.ok()) return std::fprintf(stderr, "%s\n", cursor.status().ToString().c_str()), 1;
  if (!filtered.ok()) return std::fprintf(stderr, "%s\n", filtered.status().ToString().c_str()), 1;

  std::printf("neuralake full scan (all columns)  rows=%lld sum=%.6g  %.3f s  %.0f rows/s\n",
              static_cast<long long>(best_full.rows), best_full.sum, best_full.seconds,
              best_full.rows / best_full.seconds);
  std::printf("neuralake cursor (all columns, %s >= 0 bound) rows=%lld  %.3f s  %.0f rows/s\n",
              filter_column.c_str(), static_cast<long long>(cursor->rows), cursor->seconds,
              cursor->rows / cursor->seconds);
  std::printf("neuralake scan of '%s' only        rows=%lld sum=%.6g  %.3f s  %.0f rows/s\n",
              sum_column.c_str(), static_cast<long long>(best_projected.rows), best_projected.sum,
              best_projected.seconds, best_projected.rows / best_projected.seconds);
  std::printf("neuralake pushed filter %s < %lld   rows read=%lld of %lld (%.3f%%)  %.3f s\n",
              filter_column.c_str(), static_cast<long long>(filter_below),
              static_cast<long long>(filtered->rows), static_cast<long long>(best_full.rows),
              100.0 * filtered->rows / best_full.rows, filtered->seconds);
  return 0;
}
