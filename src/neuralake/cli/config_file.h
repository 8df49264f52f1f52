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

#include "neuralake/common/status.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::cli {

// Overlays the settings in the YAML file at `path` onto `options`.
Status ApplyConfigFile(const std::string& path, storage::StorageOptions* options);

}  // namespace neuralake::cli
