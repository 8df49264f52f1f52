// The --config file: YAML that sets what the environment and flags can also set.
//
//   s3:
//     endpoint: http://127.0.0.1:9000
//     region: us-east-1
//     access_key: minioadmin
//     secret_key: minioadmin
//     path_style: true
//     max_retries: 6
//
// Unknown keys are an error naming the key (a typo must not silently fall back to defaults).
#pragma once

#include <string>

#include "neuralake/catalog/catalog.h"
#include "neuralake/common/result.h"
#include "neuralake/common/status.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::cli {

// Overlays the settings in the YAML file at `path` onto `options`.
Status ApplyConfigFile(const std::string& path, storage::StorageOptions* options);

// The catalog a command reads: --catalog FILE when given, else $NEURALAKE_CATALOG, else
// ./catalog.yaml.
Result<catalog::Catalog> LoadCatalog(const std::string& flag);

}  // namespace neuralake::cli
