#include "neuralake/storage/location.h"

#include <cctype>
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

namespace {

// The URI with control characters shown as \xNN, for messages.
std::string Printable(std::string_view uri) {
  std::string out;
  for (char c : uri) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// "s3:", "gs:/x", "http:x": a first path segment that is a scheme followed by ':'.
bool LooksLikeScheme(std::string_view path) {
  size_t colon = path.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  size_t slash = path.find('/');
  if (slash != std::string_view::npos && slash < colon) return false;
  if (!std::isalpha(static_cast<unsigned char>(path[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = path[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

Status CheckBucketName(std::string_view bucket, std::string_view uri) {
  bool ok = bucket.size() >= 3 && bucket.size() <= 63 &&
            std::isalnum(static_cast<unsigned char>(bucket.front())) &&
            std::isalnum(static_cast<unsigned char>(bucket.back()));
  for (char c : bucket) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
  }
  if (ok) return Status::OK();
  return Status::Invalid("invalid S3 bucket name '" + std::string(bucket) + "' in '" +
                         std::string(uri) +
                         "' (3-63 lowercase letters, digits, dots and hyphens, starting and "
                         "ending with a letter or digit)");
}

// "a/b/c" (one trailing '/' allowed): no empty, "." or ".." segments.
Result<std::string> CheckKeyPath(std::string_view path, std::string_view uri) {
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return std::string();
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                           : slash - start);
    if (segment.empty()) {
      return Status::Invalid("empty path segment ('//') in '" + std::string(uri) + "'");
    }
    if (segment == "." || segment == "..") {
      return Status::Invalid("'" + std::string(segment) + "' path segments are not allowed in '" +
                             std::string(uri) + "'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::string(path);
}

}  // namespace

Result<Location> ParseLocation(std::string_view uri) {
  if (uri.empty()) return Status::Invalid("empty storage URI");
  for (char c : uri) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 || byte == 0x7f)) {
      return Status::Invalid("control character in storage URI '" + Printable(uri) + "'");
    }
  }
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    if (LooksLikeScheme(uri)) {
      std::string scheme(uri.substr(0, uri.find(':')));
      return Status::Invalid("malformed URI '" + std::string(uri) + "' (expected " + scheme +
                             "://bucket/path; for a local path that starts like this, write ./" +
                             std::string(uri) + ")");
    }
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
    if (bucket.empty()) {
      return Status::Invalid("missing bucket in '" + std::string(uri) + "' (expected " + scheme +
                             "://bucket/path)");
    }
    if (scheme != "memory") {
      NL_RETURN_NOT_OK(CheckBucketName(bucket, uri));
    } else if (bucket == "." || bucket == "..") {
      return Status::Invalid("'" + bucket + "' is not a memory namespace in '" +
                             std::string(uri) + "'");
    }
    std::string path;
    if (slash != std::string_view::npos) {
      NL_ASSIGN_OR_RETURN(path, CheckKeyPath(rest.substr(slash + 1), uri));
    }
    return Location{scheme == "s3a" ? "s3" : scheme, bucket, path};
  }
  if (!LooksLikeScheme(scheme + ":")) {
    return Status::Invalid("malformed URI '" + std::string(uri) + "'");
  }
  return Status::Invalid("unknown URI scheme '" + scheme + "' in '" + std::string(uri) +
                         "' (supported: file://, s3://, memory://, plain paths)");
}

Status CheckTableLocation(const Location& location) {
  if (location.scheme == "file") {
    if (location.path == "/") return Status::Invalid("a table cannot live at the filesystem root '/'");
    return Status::OK();
  }
  if (location.scheme == "s3" && location.path.empty()) {
    return Status::Invalid("'" + location.ToUri() + "' is a bucket root; a table needs a prefix "
                           "inside the bucket, e.g. " + location.ToUri() + "/<table>");
  }
  return Status::OK();
}

}  // namespace neuralake::storage
