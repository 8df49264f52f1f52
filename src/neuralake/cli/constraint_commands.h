// `neuralake table constraint add|drop|list`: Delta CHECK constraints (delta/constraints.h).
#pragma once

#include "neuralake/cli/cli.h"

namespace neuralake::cli {

// Adds the `constraint` subcommand group under `table` (called by AddTableCommands).
void AddConstraintCommands(CLI::App* table, CommandContext& context);

}  // namespace neuralake::cli
