// Data-quality expectations in the CLI (docs/quality.md): `neuralake check` and the checks that
// `table append` runs when the catalog declares expectations for the table it writes.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "neuralake/cli/cli.h"
#include "neuralake/common/result.h"
#include "neuralake/delta/writer.h"
#include "neuralake/ingest/ingestor.h"
#include "neuralake/mv/refresh.h"

namespace neuralake::cli {

// Where a write finds its catalog table and records results.
struct QualityFlags {
  std::string catalog;      // --catalog FILE (else $NEURALAKE_CATALOG; neither: no checks)
  std::string quality_uri;  // --quality-uri (else <parent of the table uri>/_quality)
  std::string quarantine_uri;  // --quarantine-uri (else <table uri>_quarantine)
};

// Appends `source` to `table` with the expectations of the catalog table whose uri is the
// table's (see quality/enforce.h), prints warnings and drops, records the results in `_quality`.
// nullopt when no catalog is named or its table at this uri declares no expectations (the caller
// appends as usual). A violated `fail` expectation is Invalid naming it: nothing committed.
Result<std::optional<delta::WriteResult>> AppendChecked(const GlobalOptions& global,
                                                        delta::DeltaTable& table,
                                                        const delta::DataSource& source,
                                                        const delta::WriteOptions& options,
                                                        const QualityFlags& flags,
                                                        std::ostream& out, std::ostream& err);

// The data-quality gate of `neuralake ingest` for the table at `table_uri` (ingest::IngestOptions::
// check_rows): each batch is checked with the catalog table's expectations, its results appended
// to `_quality` (operation ingest), warnings printed on `err`. An unset function when no catalog
// is named or its table at this uri declares no expectations.
Result<std::function<Result<ingest::RowsVerdict>(const engine::ColumnBatch&)>> IngestQualityGate(
    const GlobalOptions& global, const std::string& table_uri, const QualityFlags& flags,
    std::ostream& err);

// The expectations hook of `mv refresh` and the refresher (mv::RefreshOptions::check_rows): the
// view's expectations on the rows about to be committed (all of them for a full refresh, the new
// ones for an incremental one); a violated `fail` expectation aborts the refresh before its
// commit; warn and drop (a view's rows are not dropped) print a warning. Results go to `_quality`
// beside the view (operation refresh). foreign_key expectations are left to `neuralake check`
// (the hook has no catalog to read the referenced table from).
std::function<Status(const catalog::TableDefinition&, const std::string&, mv::RefreshMode)>
MvQualityHook(const GlobalOptions& global, std::ostream& err);

}  // namespace neuralake::cli
