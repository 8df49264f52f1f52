// The PostgreSQL table provider: catalog tables of kind `postgres` read through libpq
// (postgres_source.h, docs/postgres.md).
//
// The factory checks the definition's options (dsn without a password, exactly one of table /
// query) but does not connect: an unreachable server must not stop a service from starting.
// Source() connects on first use, describes the columns and caches the SourceTable; an error is
// not cached (the next use tries again). Binding() is kSource.
//
// Thread safety: Source() may be called from many threads; the cache is locked.
#pragma once

#include <memory>

#include "neuralake/catalog/provider.h"

namespace neuralake::sql {

// The factory for catalog::TableKind::kPostgres.
Result<std::unique_ptr<catalog::TableProvider>> MakePostgresProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context);

}  // namespace neuralake::sql
