#include "neuralake/storage/storage_options.h"

#include <cstdlib>
#include <string>

namespace neuralake::storage {
namespace {

// The NEURALAKE_* variable, else the AWS_* one, else nullptr.
const char* Lookup(const char* ours, const char* aws) {
  const char* value = std::getenv(ours);
  if (value != nullptr && *value != '\0') return value;
  if (aws != nullptr) {
    value = std::getenv(aws);
    if (value != nullptr && *value != '\0') return value;
  }
  return nullptr;
}

}  // namespace

StorageOptions StorageOptions::FromEnvironment() {
  StorageOptions options;
  S3Options& s3 = options.s3;
  if (const char* v = Lookup("NEURALAKE_S3_ENDPOINT", "AWS_ENDPOINT_URL")) s3.endpoint = v;
  if (const char* v = Lookup("NEURALAKE_S3_REGION", "AWS_REGION")) s3.region = v;
  if (const char* v = Lookup("NEURALAKE_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID")) s3.access_key = v;
  if (const char* v = Lookup("NEURALAKE_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY")) {
    s3.secret_key = v;
  }
  if (const char* v = Lookup("NEURALAKE_S3_SESSION_TOKEN", "AWS_SESSION_TOKEN")) {
    s3.session_token = v;
  }
  if (const char* v = Lookup("NEURALAKE_S3_PATH_STYLE", nullptr)) {
    std::string text = v;
    s3.path_style = !(text == "0" || text == "false" || text == "no");
  }
  return options;
}

}  // namespace neuralake::storage
