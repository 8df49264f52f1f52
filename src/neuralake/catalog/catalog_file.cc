#include "neuralake/catalog/catalog_file.h"

#include <cstdlib>

namespace neuralake::catalog {

std::string CatalogFilePath(std::string_view path) {
  if (!path.empty()) return std::string(path);
  const char* env = std::getenv("NEURALAKE_CATALOG");
  return env != nullptr && *env != '\0' ? env : "catalog.yaml";
}

Result<Catalog> LoadCatalogFile(std::string_view path) {
  return Catalog::FromYamlFile(CatalogFilePath(path));
}

}  // namespace neuralake::catalog
