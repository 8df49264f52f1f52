// Views, function tables and the built-in table functions: the catalog kinds that need no storage.
#pragma once

#include <memory>

#include "neuralake/catalog/provider.h"

namespace neuralake::sql {

// {type: view, sql: "SELECT ..."}: the SELECT bound in place of the name (kView). Described by
// binding the SELECT (ProviderContext::describe_query).
Result<std::unique_ptr<catalog::TableProvider>> MakeViewProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context);

// {type: function, function: NAME, args: {...}} or a TableFunction given in code: a source
// (kSource) whose rows the function returns. The function and its schema are resolved when the
// provider is made, so an unknown function or bad arguments fail every read of the table, naming the
// table.
Result<std::unique_ptr<catalog::TableProvider>> MakeFunctionProvider(
    const catalog::TableDefinition& definition, const catalog::ProviderContext& context);

// Registers the built-in table functions (idempotent):
//   generate   {schema: events|telemetry, rows: N (default 1000), seed: S (default 42)}: the data
//              generator's rows (the same rows `neuralake generate` writes for that seed).
void RegisterBuiltinFunctions();

}  // namespace neuralake::sql
