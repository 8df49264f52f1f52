#include "neuralake/storage/location.h"

#include <filesystem>

namespace neuralake::storage {
namespace {

std::string TrimSlashes(std::string_view text) {
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return std::string(text);
}

std::string NormalizeLocalPath(std::string_view path) {
  std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(path));
  std::string text = absolute.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

}  // namespace

std::string JoinKey(std::string_view left, std::string_view right) {
  std::string a = TrimSlashes(left);
  std::string b = TrimSlashes(right);
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string Location::ToUri() const {
  if (scheme == "file") return "file://" + path;
  std::string uri = scheme + "://" + bucket;
  if (!path.empty()) uri += "/" + path;
  return uri;
}

Location Location::Child(std::string_view key) const {
  Location child = *this;
  if (scheme == "file") {
    std::string relative = TrimSlashes(key);
    if (!relative.empty()) child.path = (path == "/" ? "" : path) + "/" + relative;
  } else {
    child.path = JoinKey(path, key);
  }
  return child;
}

Result<Location> ParseLocation(std::string_view uri) {
  if (uri.empty()) return Status::Invalid("empty storage URI");
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    // A plain path, relative or absolute.
    return Location{"file", "", NormalizeLocalPath(uri)};
  }
  std::string scheme(uri.substr(0, scheme_end));
  std::string_view rest = uri.substr(scheme_end + 3);
  if (scheme == "file") {
    if (rest.empty() || rest.front() != '/') {
      return Status::Invalid("file URI must be absolute (file:///path): '" + std::string(uri) + "'");
    }
    return Location{"file", "", NormalizeLocalPath(rest)};
  }
  if (scheme == "s3" || scheme == "s3a" || scheme == "memory") {
    size_t slash = rest.find('/');
    std::string bucket(rest.substr(0, slash));
    std::string path = slash == std::string_view::npos ? "" : TrimSlashes(rest.substr(slash + 1));
    if (bucket.empty()) {
      return Status::Invalid("missing bucket in '" + std::string(uri) + "' (expected " + scheme +
                             "://bucket/path)");
    }
    return Location{scheme == "s3a" ? "s3" : scheme, bucket, path};
  }
  return Status::Invalid("unknown URI scheme '" + scheme + "' in '" + std::string(uri) +
                         "' (supported: file://, s3://, memory://, plain paths)");
}

}  // namespace neuralake::storage
