// The Parquet table provider: catalog tables of kind `parquet`, a prefix or a glob of plain
// Parquet files on any store (local paths, s3://, memory://), read as a lake scan plan.
//
//   {type: parquet, uri: "s3://lake/ref/zones/"}                  every *.parquet below it
//   {type: parquet, uri: "s3://lake/ref/zones/year=*/month=*/*.parquet"} the keys the glob matches
//
// Listing. A prefix lists every object below it and keeps the `.parquet` ones; a glob lists below
// its fixed part (the directory before the first wildcard) and keeps the keys engine::GlobMatch
// accepts ('*' and '?' stay within a segment, '**' crosses '/'). In both modes a key with a hidden
// or underscore segment (".crc" files, "_SUCCESS", "_delta_log/", "_temporary/") is skipped.
//
// Hive partitions. Directory segments `name=value` between the table root (the prefix, or the
// glob's fixed part) and the file are partition columns: `value` is percent-decoded and
// `__HIVE_DEFAULT_PARTITION__` is NULL. Every file must have the same partition names in the same
// order (Invalid naming two files that differ). A partition column's type is the declared one
// (catalog schema), else inferred from every value listed: BIGINT when all non-NULL values are
// integers, VARCHAR otherwise (inference follows the data: a later non-integer value turns the
// column into VARCHAR). A file column named like a partition column is replaced by it.
//
// Schema. The declared data columns (TableDefinition::schema entries without `partition`) when
// there are any; else the columns of the newest file, read through ProviderContext::parquet_schema
// (re-read only when the newest file changes; the reader must return the file's own columns, e.g.
// DuckDB's read_parquet with hive_partitioning = false). An empty location with declared columns
// is an empty table (a plan without files); without them it is Invalid. Columns: the declared
// order when data columns are declared (undeclared partition columns follow in path order); else
// the file's columns followed by the partition columns in path order.
//
// Plans. Only the latest state exists (time travel: catalog::NotVersioned). The listing is cached
// and refreshed like the Delta provider's latest snapshot: reused without listing while younger
// than ProviderContext::refresh_interval_ms (0: one LIST per plan), rebuilt only when the listing
// changed. Files carry size and modification time, no record counts (-1) and no statistics
// (DuckDB's Parquet reader prunes row groups itself). Per-table `storage` settings override the
// service's for the listing (catalog::TableStorage).
//
// Thread safety: Plan/Describe may be called from many threads; the cache is locked.
#pragma once

#include <memory>

#include "neuralake/catalog/provider.h"

namespace neuralake::sql {

// The factory for catalog::TableKind::kParquet. Invalid for a malformed uri or storage settings,
// an empty uri, or a declared schema naming a column twice; does no I/O.
Result<std::unique_ptr<catalog::TableProvider>> MakeParquetProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context);

}  // namespace neuralake::sql
