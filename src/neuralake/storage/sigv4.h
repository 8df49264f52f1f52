// AWS Signature Version 4 request signing, as pure functions (no I/O), checked against AWS's
// published test vectors in sigv4_test.cc. Used by the S3 client for every request.
//
// Thread safety: stateless; all functions are safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace neuralake::storage::sigv4 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional (temporary credentials)
};

struct Request {
  std::string method;                                         // "GET", "PUT", ...
  std::string canonical_uri;                                  // already URI-encoded path: "/b/k"
  std::vector<std::pair<std::string, std::string>> query;     // raw (not yet encoded) pairs
  std::vector<std::pair<std::string, std::string>> headers;   // headers to sign (host included)
  std::string payload_hash;                                   // hex SHA-256, or UNSIGNED-PAYLOAD
};

// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX
// (uppercase); '/' kept when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Hex(std::string_view bytes);

// "x=1&y=2" with keys and values encoded and sorted.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

// The canonical request and the semicolon-separated list of signed header names.
std::string CanonicalRequest(const Request& request, std::string* signed_headers);

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// Hex signature of `string_to_sign` with the key derived from secret/date/region/service.
std::string Signature(std::string_view secret_key, std::string_view date,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign);

// The value of the Authorization header. `amz_date` is "YYYYMMDDTHHMMSSZ".
std::string AuthorizationHeader(const Request& request, const Credentials& credentials,
                                std::string_view region, std::string_view service,
                                std::string_view amz_date);

// The current UTC time as "YYYYMMDDTHHMMSSZ".
std::string AmzDateNow();

}  // namespace neuralake::storage::sigv4
