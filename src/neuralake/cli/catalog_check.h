// `neuralake catalog check`: does every table of a catalog file hold what the file promises?
//
// For each table, in catalog order: the table is described through the query service (its data
// reached: Delta log, Parquet listing and file footer, a PostgreSQL connection, a function's
// schema, a view's columns); the declared schema is compared with the data's columns; unique
// columns, the dedupe order column and example filters must name columns, and every example
// filter must parse, apply to its column's type and have values that convert to it. Warnings,
// which do not fail a table: stale data (a Delta table's newest commit, or a Parquet table's newest
// file, older than `freshness`), a deprecation, a declared schema that could not be compared.
//
// Output: one line per table ("ok   demo.events  delta  12 columns, version 7" or
// "FAIL demo.users  postgres  <reason>"), its warnings indented below it, then a summary. The
// result is an error naming the broken tables when any table is broken (exit 1), OK otherwise. A
// catalog that cannot be loaded at all (YAML errors, a view cycle) is one error.
//
// Thread safety: a plain function; it builds its own query service.
#pragma once

#include <ostream>
#include <string>

#include "neuralake/cli/cli.h"
#include "neuralake/common/status.h"

namespace neuralake::cli {

Status CheckCatalog(const GlobalOptions& global, const std::string& catalog_path, std::ostream& out);

}  // namespace neuralake::cli
