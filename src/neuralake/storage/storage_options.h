// StorageOptions: how to reach object stores (S3 endpoint, credentials, timeouts, retries).
//
// Filled, in increasing precedence, from defaults, the environment, a config file and CLI flags.
// Environment: NEURALAKE_S3_ENDPOINT, NEURALAKE_S3_REGION, NEURALAKE_S3_ACCESS_KEY,
// NEURALAKE_S3_SECRET_KEY, NEURALAKE_S3_SESSION_TOKEN, NEURALAKE_S3_PATH_STYLE (1/0); the AWS_*
// equivalents (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN) are honoured when the NEURALAKE_* variable is unset. Plain value type.
#pragma once

#include <cstdint>
#include <string>

namespace neuralake::storage {

struct S3Options {
  // "http://127.0.0.1:9000" for MinIO; empty means AWS ("https://s3.<region>.amazonaws.com").
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  bool path_style = true;                         // bucket in the path (MinIO), not the host
  int64_t connect_timeout_ms = 5'000;
  int64_t request_timeout_ms = 120'000;
  int max_retries = 6;                            // on 5xx, 503 SlowDown, transport errors
  int64_t retry_base_delay_ms = 100;              // exponential backoff with jitter from here
  int64_t multipart_part_size = 16LL << 20;       // writers switch to multipart past one part
};

struct StorageOptions {
  S3Options s3;

  // Defaults overlaid with the environment variables listed above.
  static StorageOptions FromEnvironment();
};

}  // namespace neuralake::storage
