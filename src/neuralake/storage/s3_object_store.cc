// S3 backend (MinIO, AWS): ObjectStore over S3Client. All S3 error mapping lives in MapError.
#include <ctime>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/s3_client.h"

namespace neuralake::storage {
namespace {

int64_t ParseIsoTimeMs(const std::string& text) {
  // "2026-11-24T12:00:00.000Z"
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) < 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

int64_t ParseHttpDateMs(const std::string& text) {
  // "Tue, 24 Nov 2026 12:00:00 GMT"
  std::tm tm{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

class S3ObjectStore;

// Buffers up to one part; past that, streams parts through a multipart upload.
class S3ObjectWriter : public ObjectWriter {
 public:
  S3ObjectWriter(S3ObjectStore* store, std::string full_key)
      : store_(store), full_key_(std::move(full_key)) {}
  ~S3ObjectWriter() override { (void)Abort(); }
  Status Append(std::string_view data) override;
  Status Close() override;
  Status Abort() override;
  int64_t BytesWritten() const override { return bytes_; }

 private:
  Status FlushPart();

  S3ObjectStore* store_;
  std::string full_key_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> part_etags_;
  int64_t bytes_ = 0;
  bool finished_ = false;
};

class S3ObjectStore : public ObjectStore {
 public:
  S3ObjectStore(std::unique_ptr<S3Client> client, std::string bucket, std::string prefix)
      : client_(std::move(client)), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}

  std::string RootUri() const override {
    return "s3://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_);
  }

  Result<std::string> Get(std::string_view key) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    S3Request request{"GET", bucket_, FullKey(key)};
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status != 200) return MapError(response, "GET", key);
    return std::move(response.body);
  }

  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    if (offset < 0 || length < 0) return Status::Invalid("negative range");
    if (length == 0) {
      NL_RETURN_NOT_OK(Head(key).status());
      return std::string();
    }
    S3Request request{"GET", bucket_, FullKey(key)};
    request.headers.emplace_back(
        "range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status == 416) return std::string();  // offset at or past the end
    if (response.status != 206 && response.status != 200) {
      return MapError(response, "GET (range)", key);
    }
    if (response.status == 200 && offset > 0) {  // a server that ignored the range
      if (offset >= static_cast<int64_t>(response.body.size())) return std::string();
      return response.body.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
    }
    if (static_cast<int64_t>(response.body.size()) > length) response.body.resize(length);
    return std::move(response.body);
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    S3Request request{"HEAD", bucket_, FullKey(key)};
    request.head_only = true;
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status != 200) return MapError(response, "HEAD", key);
    ObjectInfo info;
    info.key = std::string(key);
    info.size = std::atoll(response.Header("content-length").c_str());
    info.modified_ms = ParseHttpDateMs(response.Header("last-modified"));
    info.etag = response.Header("etag");
    return info;
  }

  Status Put(std::string_view key, std::string_view data) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    return PutFull(FullKey(key), data, false);
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    return PutFull(FullKey(key), data, true);
  }

  Result<ListPage> ListPaged(std::string_view prefix, std::string_view token,
                             int max_keys) override {
    S3Request request{"GET", bucket_, ""};
    request.query = {{"list-type", "2"},
                     {"prefix", FullKey(prefix, /*allow_empty=*/true)},
                     {"max-keys", std::to_string(max_keys)}};
    if (!token.empty()) request.query.emplace_back("continuation-token", std::string(token));
    return ListRequest(std::move(request), prefix);
  }

  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix,
                                            std::string_view start_after) override {
    std::vector<ObjectInfo> out;
    std::string token;
    do {
      S3Request request{"GET", bucket_, ""};
      request.query = {{"list-type", "2"},
                       {"prefix", FullKey(prefix, true)},
                       {"max-keys", "1000"}};
      if (token.empty()) {
        request.query.emplace_back("start-after", FullKey(start_after, true));
      } else {
        request.query.emplace_back("continuation-token", token);
      }
      NL_ASSIGN_OR_RETURN(ListPage page, ListRequest(std::move(request), prefix));
      for (auto& object : page.objects) out.push_back(std::move(object));
      token = std::move(page.next_token);
    } while (!token.empty());
    return out;
  }

  Status Delete(std::string_view key) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    S3Request request{"DELETE", bucket_, FullKey(key)};
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status == 204 || response.status == 200) return Status::OK();
    if (response.status == 404 && s3xml::FirstTag(response.body, "Code") != "NoSuchBucket") {
      return Status::OK();
    }
    return MapError(response, "DELETE", key);
  }

  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override {
    NL_RETURN_NOT_OK(CheckKey(key));
    return std::unique_ptr<ObjectWriter>(std::make_unique<S3ObjectWriter>(this, FullKey(key)));
  }

  // --- used by the writer ---
  Status PutFull(const std::string& full_key, std::string_view data, bool if_absent) {
    S3Request request{"PUT", bucket_, full_key};
    request.body = data;
    if (if_absent) request.headers.emplace_back("if-none-match", "*");
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status == 200) return Status::OK();
    if (if_absent && IsPreconditionFailure(response) && response.attempts > 1) {
      // An earlier attempt may have succeeded with its response lost: the object is ours if it
      // holds exactly our bytes (Delta commits carry a unique commitInfo, so this is decisive).
      S3Request get{"GET", bucket_, full_key};
      auto existing = client_->Send(get);
      if (existing.ok() && existing->status == 200 && existing->body == data) {
        return Status::OK();
      }
    }
    return MapError(response, if_absent ? "PUT (if absent)" : "PUT", RelativeKey(full_key));
  }

  Result<std::string> StartMultipart(const std::string& full_key) {
    S3Request request{"POST", bucket_, full_key};
    request.query = {{"uploads", ""}};
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status != 200) {
      return MapError(response, "CreateMultipartUpload", RelativeKey(full_key));
    }
    std::string upload_id = s3xml::FirstTag(response.body, "UploadId");
    if (upload_id.empty()) return Status::IOError("CreateMultipartUpload returned no UploadId");
    return upload_id;
  }

  Result<std::string> UploadPart(const std::string& full_key, const std::string& upload_id,
                                 int part_number, std::string_view data) {
    S3Request request{"PUT", bucket_, full_key};
    request.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
    request.body = data;
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status != 200) return MapError(response, "UploadPart", RelativeKey(full_key));
    return response.Header("etag");
  }

  Status CompleteMultipart(const std::string& full_key, const std::string& upload_id,
                           const std::vector<std::string>& etags) {
    std::string body = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags.size(); ++i) {
      body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
              s3xml::Escape(etags[i]) + "</ETag></Part>";
    }
    body += "</CompleteMultipartUpload>";
    S3Request request{"POST", bucket_, full_key};
    request.query = {{"uploadId", upload_id}};
    request.body = body;
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    // S3 may answer 200 with an <Error> body for CompleteMultipartUpload.
    if (response.status != 200 || response.body.find("<Error>") != std::string::npos) {
      return MapError(response, "CompleteMultipartUpload", RelativeKey(full_key));
    }
    return Status::OK();
  }

  Status AbortMultipart(const std::string& full_key, const std::string& upload_id) {
    S3Request request{"DELETE", bucket_, full_key};
    request.query = {{"uploadId", upload_id}};
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status == 204 || response.status == 200 || response.status == 404) {
      return Status::OK();
    }
    return MapError(response, "AbortMultipartUpload", RelativeKey(full_key));
  }

  int64_t PartSize() const { return client_->options().multipart_part_size; }

 private:
  static Status CheckKey(std::string_view key) {
    if (key.empty()) return Status::Invalid("empty object key");
    if (key.front() == '/') {
      return Status::Invalid("object key must be relative: '" + std::string(key) + "'");
    }
    return Status::OK();
  }

  std::string FullKey(std::string_view key, bool allow_empty = false) const {
    if (prefix_.empty()) return std::string(key);
    if (key.empty() && allow_empty) return prefix_ + "/";
    return prefix_ + "/" + std::string(key);
  }

  std::string RelativeKey(std::string_view full_key) const {
    if (prefix_.empty()) return std::string(full_key);
    return std::string(full_key.substr(std::min(full_key.size(), prefix_.size() + 1)));
  }

  static bool IsPreconditionFailure(const HttpResponse& response) {
    if (response.status == 412) return true;
    return response.status == 409 &&
           s3xml::FirstTag(response.body, "Code") == "ConditionalRequestConflict";
  }

  Result<ListPage> ListRequest(S3Request request, std::string_view prefix) {
    NL_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(request));
    if (response.status != 200) return MapError(response, "LIST", prefix);
    ListPage page;
    for (const std::string& block : s3xml::AllBlocks(response.body, "Contents")) {
      ObjectInfo info;
      info.key = RelativeKey(s3xml::FirstTag(block, "Key"));
      info.size = std::atoll(s3xml::FirstTag(block, "Size").c_str());
      info.modified_ms = ParseIsoTimeMs(s3xml::FirstTag(block, "LastModified"));
      info.etag = s3xml::FirstTag(block, "ETag");
      page.objects.push_back(std::move(info));
    }
    if (s3xml::FirstTag(response.body, "IsTruncated") == "true") {
      page.next_token = s3xml::FirstTag(response.body, "NextContinuationToken");
    }
    return page;
  }

  // The one place where S3 answers become our Status codes.
  Status MapError(const HttpResponse& response, std::string_view operation,
                  std::string_view key) const {
    std::string code = s3xml::FirstTag(response.body, "Code");
    std::string message = s3xml::FirstTag(response.body, "Message");
    std::string uri = RootUri() + (key.empty() ? "" : "/" + std::string(key));
    std::string detail = code.empty() ? "HTTP " + std::to_string(response.status)
                                      : code + (message.empty() ? "" : ": " + message);
    std::string where = std::string(operation) + " " + uri + " at " + client_->endpoint();
    if (IsPreconditionFailure(response)) {
      return Status::Conflict("object '" + std::string(key) + "' already exists (" + where + ")");
    }
    switch (response.status) {
      case 404:
        if (code == "NoSuchBucket" || (code.empty() && key.empty())) {
          return Status::NotFound("bucket '" + bucket_ + "' does not exist at " +
                                  client_->endpoint());
        }
        return Status::NotFound("object '" + uri + "' does not exist");
      case 403:
        return Status::Invalid("access denied (" + detail + ") for " + where +
                               "; check the S3 credentials (NEURALAKE_S3_ACCESS_KEY / "
                               "NEURALAKE_S3_SECRET_KEY, --s3-access-key / --s3-secret-key)");
      case 400:
      case 405:
      case 411:
      case 413:
        return Status::Invalid(where + " was rejected: " + detail);
      default:
        break;
    }
    if (response.status >= 500 || response.status == 429) {
      return Status::IOError(where + " failed after " + std::to_string(response.attempts) +
                             " attempts: " + detail);
    }
    return Status::IOError(where + " failed: " + detail);
  }

  std::unique_ptr<S3Client> client_;
  std::string bucket_;
  std::string prefix_;
};

Status S3ObjectWriter::Append(std::string_view data) {
  if (finished_) return Status::Invalid("append to a closed writer for '" + full_key_ + "'");
  buffer_.append(data);
  bytes_ += static_cast<int64_t>(data.size());
  while (static_cast<int64_t>(buffer_.size()) >= store_->PartSize()) {
    NL_RETURN_NOT_OK(FlushPart());
  }
  return Status::OK();
}

Status S3ObjectWriter::FlushPart() {
  if (upload_id_.empty()) {
    NL_ASSIGN_OR_RETURN(upload_id_, store_->StartMultipart(full_key_));
  }
  size_t size = std::min<size_t>(buffer_.size(), static_cast<size_t>(store_->PartSize()));
  NL_ASSIGN_OR_RETURN(std::string etag,
                      store_->UploadPart(full_key_, upload_id_,
                                         static_cast<int>(part_etags_.size()) + 1,
                                         std::string_view(buffer_).substr(0, size)));
  part_etags_.push_back(std::move(etag));
  buffer_.erase(0, size);
  return Status::OK();
}

Status S3ObjectWriter::Close() {
  if (finished_) return Status::Invalid("writer for '" + full_key_ + "' already closed");
  finished_ = true;
  if (upload_id_.empty()) return store_->PutFull(full_key_, buffer_, false);
  Status status;
  if (!buffer_.empty()) {
    finished_ = false;
    status = FlushPart();
    finished_ = true;
  }
  if (status.ok()) status = store_->CompleteMultipart(full_key_, upload_id_, part_etags_);
  if (!status.ok()) (void)store_->AbortMultipart(full_key_, upload_id_);
  upload_id_.clear();
  buffer_.clear();
  return status;
}

Status S3ObjectWriter::Abort() {
  if (finished_) return Status::OK();
  finished_ = true;
  buffer_.clear();
  if (!upload_id_.empty()) {
    Status status = store_->AbortMultipart(full_key_, upload_id_);
    upload_id_.clear();
    return status;
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> MakeS3ObjectStore(const Location& location,
                                                       const S3Options& options) {
  if (location.bucket.empty()) return Status::Invalid("S3 location needs a bucket");
  NL_ASSIGN_OR_RETURN(std::unique_ptr<S3Client> client, S3Client::Make(options));
  return std::unique_ptr<ObjectStore>(
      std::make_unique<S3ObjectStore>(std::move(client), location.bucket, location.path));
}

}  // namespace neuralake::storage
