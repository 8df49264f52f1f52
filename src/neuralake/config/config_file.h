// Process configuration for every front end (the CLI today, the HTTP server next): the YAML
// --config file and the precedence flags > config file > environment > defaults.
//
//   s3:
//     endpoint: http://127.0.0.1:9000
//     region: us-east-1
//     access_key: minioadmin
//     secret_key: minioadmin
//     path_style: true
//     max_retries: 6
//
// Unknown sections and keys are an error naming the key and its line (a typo must not silently
// fall back to defaults). Thread safety: pure functions of their arguments, the environment and
// the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/common/status.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::config {

// Overlays the settings in the YAML file at `path` onto `options`.
Status ApplyConfigFile(const std::string& path, storage::StorageOptions* options);

// Settings given on a command line (or a server's flags); unset ones leave the lower layers.
struct StorageOverrides {
  std::optional<std::string> endpoint;
  std::optional<std::string> region;
  std::optional<std::string> access_key;
  std::optional<std::string> secret_key;
  std::optional<int> max_retries;
};

// Defaults, overlaid with the environment (NEURALAKE_S3_*), then the config file at
// `config_path` (when not empty), then `overrides`.
Result<storage::StorageOptions> ResolveStorageOptions(const std::string& config_path,
                                                      const StorageOverrides& overrides);

}  // namespace neuralake::config
