#include "neuralake/storage/s3_client.h"

#include <curl/curl.h>

#include <chrono>
#include <random>
#include <thread>

namespace neuralake::storage {
namespace {

void GlobalCurlInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  auto* headers = &response->headers;
  std::string_view line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    if (name == "content-length") {
      // Receive large bodies into one allocation instead of growing the string.
      long long length = std::atoll(std::string(value).c_str());
      if (length > 0 && length < (1LL << 32)) response->body.reserve(static_cast<size_t>(length));
    }
    (*headers)[name] = std::string(value);
  }
  return size * count;
}

bool IsTransientStatus(long status) { return status >= 500 || status == 429; }

bool IsTransientCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct S3Client::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

S3Client::S3Client(S3Options options) : options_(std::move(options)) {}

S3Client::~S3Client() = default;

Result<std::unique_ptr<S3Client>> S3Client::Make(const S3Options& options) {
  GlobalCurlInit();
  std::unique_ptr<S3Client> client(new S3Client(options));
  std::string endpoint = options.endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + options.region + ".amazonaws.com";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  size_t scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) {
    return Status::Invalid("S3 endpoint '" + endpoint +
                           "' needs a scheme (http://host:port or https://host)");
  }
  client->scheme_ = endpoint.substr(0, scheme_end);
  if (client->scheme_ != "http" && client->scheme_ != "https") {
    return Status::Invalid("S3 endpoint '" + endpoint + "' must use http or https");
  }
  client->host_ = endpoint.substr(scheme_end + 3);
  if (client->host_.empty() || client->host_.find('/') != std::string::npos) {
    return Status::Invalid("S3 endpoint '" + endpoint + "' must be scheme://host[:port]");
  }
  client->endpoint_ = endpoint;
  if (options.access_key.empty() || options.secret_key.empty()) {
    return Status::Invalid(
        "S3 credentials missing: set NEURALAKE_S3_ACCESS_KEY and NEURALAKE_S3_SECRET_KEY "
        "(or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, --s3-access-key/--s3-secret-key, or "
        "s3.access_key/secret_key in --config)");
  }
  client->credentials_ = {options.access_key, options.secret_key, options.session_token};
  return client;
}

std::unique_ptr<S3Client::Handle> S3Client::Acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      auto handle = std::move(pool_.back());
      pool_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  return handle;
}

void S3Client::Release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(pool_mutex_);
  if (pool_.size() < 64) pool_.push_back(std::move(handle));
}

Result<HttpResponse> S3Client::Send(const S3Request& request) {
  std::mt19937_64 rng(std::random_device{}());
  Status last_error;
  HttpResponse last_response;
  bool have_response = false;
  int max_attempts = std::max(1, options_.max_retries + 1);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    if (attempt > 1) {
      int64_t base = options_.retry_base_delay_ms << std::min(attempt - 2, 10);
      int64_t delay = std::min<int64_t>(base, 5'000);
      delay = delay / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(delay / 2 + 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
    auto handle = Acquire();
    if (handle->curl == nullptr) return Status::Internal("curl_easy_init failed");
    Result<HttpResponse> response = SendOnce(request, handle.get());
    if (response.ok()) {
      Release(std::move(handle));
      response->attempts = attempt;
      if (!IsTransientStatus(response->status)) return response;
      last_response = std::move(response).value();
      have_response = true;
      continue;
    }
    // A failed transfer may leave the connection in a bad state: drop the handle.
    last_error = response.status();
    have_response = false;
    if (last_error.code() != StatusCode::kIOError) return last_error;
  }
  if (have_response) {
    last_response.attempts = max_attempts;
    return last_response;  // the caller maps the final 5xx
  }
  return Status::IOError(last_error.message() + " (after " + std::to_string(max_attempts) +
                         " attempts)");
}

Result<HttpResponse> S3Client::SendOnce(const S3Request& request, Handle* handle) {
  CURL* curl = handle->curl;
  curl_easy_reset(curl);

  // Path-style: /bucket/key; virtual-hosted: bucket.host/key.
  std::string host = host_;
  std::string path;
  if (options_.path_style || request.bucket.empty()) {
    path = "/" + request.bucket;
    if (!request.key.empty()) path += "/" + sigv4::UriEncode(request.key, true);
  } else {
    host = request.bucket + "." + host_;
    path = "/" + sigv4::UriEncode(request.key, true);
  }
  if (path.empty()) path = "/";
  std::string query = sigv4::CanonicalQueryString(request.query);
  std::string url = scheme_ + "://" + host + path + (query.empty() ? "" : "?" + query);

  std::string payload_hash = sigv4::Sha256Hex(request.body);
  std::string amz_date = sigv4::AmzDateNow();
  sigv4::Request to_sign;
  to_sign.method = request.method;
  to_sign.canonical_uri = path;
  to_sign.query = request.query;
  to_sign.headers = request.headers;
  to_sign.headers.emplace_back("host", host);
  to_sign.headers.emplace_back("x-amz-date", amz_date);
  to_sign.headers.emplace_back("x-amz-content-sha256", payload_hash);
  if (!credentials_.session_token.empty()) {
    to_sign.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  }
  to_sign.payload_hash = payload_hash;
  std::string authorization =
      sigv4::AuthorizationHeader(to_sign, credentials_, options_.region, "s3", amz_date);

  struct curl_slist* header_list = nullptr;
  for (const auto& [name, value] : to_sign.headers) {
    if (name == "host") continue;  // curl sets Host from the URL
    header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
  }
  header_list = curl_slist_append(header_list, ("Authorization: " + authorization).c_str());
  header_list = curl_slist_append(header_list, "Expect:");
  if (request.method == "PUT" || request.method == "POST") {
    header_list = curl_slist_append(header_list, "Content-Type: application/octet-stream");
  }

  HttpResponse response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  if (request.head_only || request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "PUT" || request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  if (code != CURLE_OK) {
    std::string message = "S3 request " + request.method + " " + url + " to endpoint " +
                          endpoint_ + " failed: " + curl_easy_strerror(code);
    if (IsTransientCurlError(code)) return Status::IOError(message);
    return Status::IOError(message);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

namespace s3xml {

std::string Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out += text[i];
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") out += '&';
    else if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (!entity.empty() && entity[0] == '#') {
      long code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')
                      ? std::strtol(std::string(entity.substr(2)).c_str(), nullptr, 16)
                      : std::strtol(std::string(entity.substr(1)).c_str(), nullptr, 10);
      // UTF-8 encode the code point.
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
    } else {
      out += text.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FirstTag(std::string_view xml, std::string_view tag, size_t from, size_t* end) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open, from);
  if (start == std::string_view::npos) {
    if (end != nullptr) *end = std::string_view::npos;
    return "";
  }
  start += open.size();
  size_t stop = xml.find(close, start);
  if (stop == std::string_view::npos) {
    if (end != nullptr) *end = std::string_view::npos;
    return "";
  }
  if (end != nullptr) *end = stop + close.size();
  return Unescape(xml.substr(start, stop - start));
}

std::vector<std::string> AllBlocks(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t position = 0;
  while (true) {
    size_t start = xml.find(open, position);
    if (start == std::string_view::npos) break;
    start += open.size();
    size_t stop = xml.find(close, start);
    if (stop == std::string_view::npos) break;
    out.emplace_back(xml.substr(start, stop - start));  // inner XML, still escaped
    position = stop + close.size();
  }
  return out;
}

}  // namespace s3xml
}  // namespace neuralake::storage
