#include "neuralake/config/config_file.h"

#include <filesystem>

#include <yaml-cpp/yaml.h>

namespace neuralake::config {

Status ApplyConfigFile(const std::string& path, storage::StorageOptions* options) {
  if (!std::filesystem::exists(path)) {
    return Status::NotFound("config file '" + path + "' does not exist");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    return Status::Invalid("config file '" + path + "': " + error.what());
  }
  if (root.IsNull()) return Status::OK();
  if (!root.IsMap()) return Status::Invalid("config file '" + path + "': expected a mapping");
  try {
    for (const auto& section : root) {
      std::string name = section.first.as<std::string>();
      if (name != "s3") {
        return Status::Invalid("config file '" + path + "': unknown section '" + name +
                               "' (known: s3)");
      }
      storage::S3Options& s3 = options->s3;
      for (const auto& entry : section.second) {
        std::string key = entry.first.as<std::string>();
        const YAML::Node& value = entry.second;
        if (key == "endpoint") {
          s3.endpoint = value.as<std::string>();
        } else if (key == "region") {
          s3.region = value.as<std::string>();
        } else if (key == "access_key") {
          s3.access_key = value.as<std::string>();
        } else if (key == "secret_key") {
          s3.secret_key = value.as<std::string>();
        } else if (key == "session_token") {
          s3.session_token = value.as<std::string>();
        } else if (key == "path_style") {
          s3.path_style = value.as<bool>();
        } else if (key == "max_retries") {
          s3.max_retries = value.as<int>();
        } else if (key == "connect_timeout_ms") {
          s3.connect_timeout_ms = value.as<int64_t>();
        } else if (key == "request_timeout_ms") {
          s3.request_timeout_ms = value.as<int64_t>();
        } else {
          return Status::Invalid("config file '" + path + "' line " +
                                 std::to_string(entry.first.Mark().line + 1) +
                                 ": unknown key 's3." + key + "'");
        }
      }
    }
  } catch (const YAML::Exception& error) {
    return Status::Invalid("config file '" + path + "': " + error.what());
  }
  return Status::OK();
}

Result<storage::StorageOptions> ResolveStorageOptions(const std::string& config_path,
                                                      const StorageOverrides& overrides) {
  storage::StorageOptions options = storage::StorageOptions::FromEnvironment();
  if (!config_path.empty()) NL_RETURN_NOT_OK(ApplyConfigFile(config_path, &options));
  storage::S3Options& s3 = options.s3;
  if (overrides.endpoint) s3.endpoint = *overrides.endpoint;
  if (overrides.region) s3.region = *overrides.region;
  if (overrides.access_key) s3.access_key = *overrides.access_key;
  if (overrides.secret_key) s3.secret_key = *overrides.secret_key;
  if (overrides.max_retries) s3.max_retries = *overrides.max_retries;
  return options;
}

}  // namespace neuralake::config
