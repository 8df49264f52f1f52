// Statistics of written files (internal to delta/): the stats-column path of an engine
// statistics name. StatsJson itself is declared in writer.h (public).
#pragma once

#include <string>
#include <vector>

#include "neuralake/delta/schema.h"
#include "neuralake/delta/writer.h"

namespace neuralake::delta {

// Splits an engine stats column name into a path: `s"."x` (outer quotes already stripped) or a
// plain top-level name.
std::vector<std::string> StatsPath(const Schema& schema, const std::string& name);

}  // namespace neuralake::delta
