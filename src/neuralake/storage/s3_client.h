// S3Client: a small S3 REST client over libcurl, signing every request with SigV4.
//
// One Send() call is one logical request: it retries transient failures (transport errors, HTTP
// 5xx, 429, 503 SlowDown) with exponential backoff and jitter, up to S3Options::max_retries, and
// returns the final HTTP response (any status) or an IOError when the endpoint could not be
// reached. Mapping statuses to our error codes is the caller's (S3ObjectStore's) job.
//
// Thread safety: Send() may be called from many threads at once. Connections are reused through
// a pool of curl easy handles (keep-alive), which is what makes small-object PUT rates possible.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/storage/sigv4.h"
#include "neuralake/storage/storage_options.h"

namespace neuralake::storage {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  int attempts = 1;                            // how many tries it took

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct S3Request {
  std::string method = "GET";
  std::string bucket;
  std::string key;                                           // not encoded
  std::vector<std::pair<std::string, std::string>> query;    // not encoded
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, signed
  std::string_view body;
  bool head_only = false;                                    // HEAD: no body expected
};

class S3Client {
 public:
  static Result<std::unique_ptr<S3Client>> Make(const S3Options& options);
  ~S3Client();

  Result<HttpResponse> Send(const S3Request& request);

  const S3Options& options() const { return options_; }
  // "http://127.0.0.1:9000" or "https://s3.us-east-1.amazonaws.com".
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Handle;
  explicit S3Client(S3Options options);
  Result<HttpResponse> SendOnce(const S3Request& request, Handle* handle);
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  S3Options options_;
  std::string endpoint_;     // scheme://host[:port], no trailing slash
  std::string host_;         // host[:port]
  std::string scheme_;
  sigv4::Credentials credentials_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Handle>> pool_;
};

// Minimal XML helpers for S3 responses (a handful of flat tags; entities unescaped).
namespace s3xml {
// Text of the first <tag>...</tag> in `xml` at or after `from`, or "" (and npos end).
std::string FirstTag(std::string_view xml, std::string_view tag, size_t from = 0,
                     size_t* end = nullptr);
// Every <tag>...</tag> block's inner text, in order.
std::vector<std::string> AllBlocks(std::string_view xml, std::string_view tag);
std::string Unescape(std::string_view text);
std::string Escape(std::string_view text);
}  // namespace s3xml

}  // namespace neuralake::storage
