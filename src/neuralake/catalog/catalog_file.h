// Which catalog file a process reads, and loading it: the path given (a --catalog flag), else
// $NEURALAKE_CATALOG, else ./catalog.yaml. Shared by the CLI (`sql`, `catalog`) and the server.
//
// Thread safety: pure functions of their argument, the environment and the file.
#pragma once

#include <string>
#include <string_view>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"

namespace neuralake::catalog {

// `path` when not empty, else $NEURALAKE_CATALOG when set and not empty, else "catalog.yaml".
std::string CatalogFilePath(std::string_view path);

// Catalog::FromYamlFile(CatalogFilePath(path)).
Result<Catalog> LoadCatalogFile(std::string_view path);

}  // namespace neuralake::catalog
