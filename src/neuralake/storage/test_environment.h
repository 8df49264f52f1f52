// Test support: where the local development services are, and unique names for test data.
//
// Tests talk to the real servers started by `scripts/services.sh up` (MinIO on 127.0.0.1:9000,
// keys minioadmin/minioadmin, bucket `lake`). The NEURALAKE_S3_* environment overrides these.
// Header-only so every subsystem's tests can use it without a link dependency.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

#include "neuralake/storage/storage_options.h"

namespace neuralake::testing {

inline storage::StorageOptions LocalServiceStorageOptions() {
  storage::StorageOptions options = storage::StorageOptions::FromEnvironment();
  if (options.s3.endpoint.empty()) options.s3.endpoint = "http://127.0.0.1:9000";
  if (options.s3.access_key.empty()) options.s3.access_key = "minioadmin";
  if (options.s3.secret_key.empty()) options.s3.secret_key = "minioadmin";
  options.s3.path_style = true;
  return options;
}

inline std::string TestBucket() {
  const char* bucket = std::getenv("NEURALAKE_TEST_BUCKET");
  return bucket != nullptr && *bucket != '\0' ? bucket : "lake";
}

// A name unique to this process and call: "<stem>-<pid>-<time>-<n>".
inline std::string UniqueName(const std::string& stem) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return stem + "-" + std::to_string(getpid()) + "-" + std::to_string(now % 1000000007) + "-" +
         std::to_string(counter.fetch_add(1));
}

inline constexpr const char* kServicesHint =
    "is MinIO running? start the local services with `make services-up`";

}  // namespace neuralake::testing
