// `neuralake table delete|update|merge`: row-level DML (delta/dml.h).
#pragma once

#include "neuralake/cli/cli.h"

namespace neuralake::cli {

// Adds `delete`, `update` and `merge` under `table` (called by AddTableCommands).
void AddDmlCommands(CLI::App* table, CommandContext& context);

}  // namespace neuralake::cli
