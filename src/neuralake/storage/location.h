// Location: a parsed storage URI.
//
//   /abs/path, ./rel/path, file:///abs/path  -> scheme "file",   path = absolute filesystem path
//   s3://bucket/some/prefix                  -> scheme "s3",     bucket, path = "some/prefix"
//   memory://name/some/prefix                -> scheme "memory", bucket = name, path = prefix
//
// Every URI the project opens goes through ParseLocation, which refuses (Invalid, one line naming
// the URI and the rule):
//   - unknown schemes ("unknown URI scheme 'gs' in 'gs://x'") and malformed ones: "s3:/x", "s3:",
//     "s3://" (a plain path that starts like a URI is refused too; write ./s3: for such a directory)
//   - a missing or (for s3) invalid bucket name: 3-63 of [a-z0-9.-], starting and ending alnum
//   - "." / ".." segments and empty segments ("a//b") in bucket keys (one trailing '/' is fine);
//     local paths are normalized instead ("/a/../b" is "/b")
//   - control characters anywhere
// Plain value type.
#pragma once

#include <string>
#include <string_view>

#include "neuralake/common/result.h"

namespace neuralake::storage {

struct Location {
  std::string scheme;  // "file", "s3" or "memory"
  std::string bucket;  // S3 bucket or memory namespace; empty for "file"
  std::string path;    // "file": absolute path without trailing '/'; others: key prefix, no '/' ends

  // Canonical URI: "file:///abs", "s3://bucket/prefix", "memory://name/prefix".
  std::string ToUri() const;

  // The location of `key` below this one ("s3://b/p" + "x/y" -> "s3://b/p/x/y").
  Location Child(std::string_view key) const;
};

Result<Location> ParseLocation(std::string_view uri);

// Whether a table may live at `location`: not at a bucket root ("s3://lake") nor at "/".
// Invalid with a one-line message otherwise.
Status CheckTableLocation(const Location& location);

// Joins key parts with exactly one '/' between them; empty parts are skipped.
std::string JoinKey(std::string_view left, std::string_view right);

}  // namespace neuralake::storage
