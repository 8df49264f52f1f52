// Local filesystem backend: the embedded default.
//
// Objects are regular files below a root directory. Writes go to a hidden temporary file in the
// target's directory (".nl-tmp-*", never listed) and become visible atomically: rename() for Put,
// link() for PutIfAbsent, which fails with EEXIST when the key exists, so exactly one racing
// creator wins across threads and processes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "neuralake/storage/object_store_factory.h"

namespace neuralake::storage {
namespace {

constexpr std::string_view kTempPrefix = ".nl-tmp-";

Status ErrnoStatus(std::string_view what, const std::string& path, int error) {
  std::string message = std::string(what) + " '" + path + "': " + std::strerror(error);
  if (error == ENOENT) return Status::NotFound(message);
  return Status::IOError(message);
}

std::string TempName() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::string(kTempPrefix) + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::to_string(rng() % 1000000007ULL);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::OK();
}

class LocalObjectStore;

// Streams into a temporary file; Close() renames it into place.
class LocalObjectWriter : public ObjectWriter {
 public:
  LocalObjectWriter(int fd, std::string temp_path, std::string final_path)
      : fd_(fd), temp_path_(std::move(temp_path)), final_path_(std::move(final_path)) {}
  ~LocalObjectWriter() override { (void)Abort(); }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::Invalid("append to a closed writer for '" + final_path_ + "'");
    NL_RETURN_NOT_OK(WriteAll(fd_, data, temp_path_));
    bytes_ += static_cast<int64_t>(data.size());
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Invalid("writer for '" + final_path_ + "' already closed");
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      ::unlink(temp_path_.c_str());
      return ErrnoStatus("close", temp_path_, errno);
    }
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      int error = errno;
      ::unlink(temp_path_.c_str());
      return ErrnoStatus("rename into", final_path_, error);
    }
    return Status::OK();
  }

  Status Abort() override {
    if (fd_ < 0) return Status::OK();
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_path_.c_str());
    return Status::OK();
  }

  int64_t BytesWritten() const override { return bytes_; }

 private:
  int fd_;
  std::string temp_path_;
  std::string final_path_;
  int64_t bytes_ = 0;
};

class LocalObjectStore : public ObjectStore {
 public:
  explicit LocalObjectStore(std::string root) : root_(std::move(root)) {}

  std::string RootUri() const override { return "file://" + root_; }

  Result<std::string> Get(std::string_view key) override {
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    std::string data;
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
      ::close(fd);
      return Status::NotFound("'" + path + "' is a directory, not an object");
    }
    data.reserve(static_cast<size_t>(info.st_size));
    char buffer[1 << 16];
    while (true) {
      ssize_t got = ::read(fd, buffer, sizeof(buffer));
      if (got < 0) {
        if (errno == EINTR) continue;
        int error = errno;
        ::close(fd);
        return ErrnoStatus("read", path, error);
      }
      if (got == 0) break;
      data.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    return data;
  }

  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    if (offset < 0 || length < 0) return Status::Invalid("negative range");
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    std::string data(static_cast<size_t>(length), '\0');
    int64_t filled = 0;
    while (filled < length) {
      ssize_t got = ::pread(fd, data.data() + filled, static_cast<size_t>(length - filled),
                            offset + filled);
      if (got < 0) {
        if (errno == EINTR) continue;
        int error = errno;
        ::close(fd);
        return ErrnoStatus("read", path, error);
      }
      if (got == 0) break;
      filled += got;
    }
    ::close(fd);
    data.resize(static_cast<size_t>(filled));
    return data;
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return ErrnoStatus("stat", path, errno);
    if (!S_ISREG(info.st_mode)) return Status::NotFound("'" + path + "' is not an object");
    return MakeInfo(std::string(key), info);
  }

  Status Put(std::string_view key, std::string_view data) override {
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    NL_ASSIGN_OR_RETURN(std::string temp, WriteTemp(path, data));
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      int error = errno;
      ::unlink(temp.c_str());
      return ErrnoStatus("rename into", path, error);
    }
    return Status::OK();
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    NL_ASSIGN_OR_RETURN(std::string temp, WriteTemp(path, data));
    int rc = ::link(temp.c_str(), path.c_str());
    int error = errno;
    ::unlink(temp.c_str());
    if (rc != 0) {
      if (error == EEXIST) {
        return Status::Conflict("object '" + std::string(key) + "' already exists");
      }
      return ErrnoStatus("link into", path, error);
    }
    return Status::OK();
  }

  Result<ListPage> ListPaged(std::string_view prefix, std::string_view token,
                             int max_keys) override {
    NL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> all, ListAll(prefix));
    ListPage page;
    auto begin = token.empty() ? all.begin()
                               : std::upper_bound(all.begin(), all.end(), token,
                                                  [](std::string_view t, const ObjectInfo& o) {
                                                    return t < o.key;
                                                  });
    for (auto it = begin; it != all.end(); ++it) {
      if (static_cast<int>(page.objects.size()) == max_keys) {
        page.next_token = page.objects.back().key;
        break;
      }
      page.objects.push_back(std::move(*it));
    }
    return page;
  }

  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix,
                                            std::string_view start_after) override {
    NL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> all, ListAll(prefix, start_after));
    std::vector<ObjectInfo> out;
    for (auto& object : all) {
      if (object.key > start_after) out.push_back(std::move(object));
    }
    return out;
  }

  Status Delete(std::string_view key) override {
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("delete", path, errno);
    return Status::OK();
  }

  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override {
    NL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
    NL_ASSIGN_OR_RETURN(auto opened, OpenTemp(path));
    return std::unique_ptr<ObjectWriter>(
        std::make_unique<LocalObjectWriter>(opened.first, opened.second, path));
  }

 private:
  static ObjectInfo MakeInfo(std::string key, const struct stat& info) {
    ObjectInfo object;
    object.key = std::move(key);
    object.size = info.st_size;
    object.modified_ms =
        static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1'000'000;
    object.etag = std::to_string(info.st_ino) + "-" + std::to_string(info.st_size) + "-" +
                  std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
    return object;
  }

  // Validates a key and maps it to a path below the root.
  Result<std::string> PathOf(std::string_view key) const {
    if (key.empty()) return Status::Invalid("empty object key");
    if (key.front() == '/') return Status::Invalid("object key must be relative: '" +
                                                   std::string(key) + "'");
    size_t start = 0;
    while (start <= key.size()) {
      size_t end = key.find('/', start);
      if (end == std::string_view::npos) end = key.size();
      std::string_view part = key.substr(start, end - start);
      if (part == ".." || part == ".") {
        return Status::Invalid("object key may not contain '.' or '..' segments: '" +
                               std::string(key) + "'");
      }
      start = end + 1;
    }
    return root_ + "/" + std::string(key);
  }

  // Creates a temporary file beside `path` (creating parent directories) and returns fd + name.
  Result<std::pair<int, std::string>> OpenTemp(const std::string& path) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::error_code error;
      std::filesystem::create_directories(parent, error);
      if (error) {
        return Status::IOError("cannot create directory '" + parent.string() +
                               "': " + error.message());
      }
      std::string temp = (parent / TempName()).string();
      int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) return std::make_pair(fd, temp);
      if (errno != ENOENT) return ErrnoStatus("create", temp, errno);
    }
    return Status::IOError("cannot create a temporary file in '" + parent.string() + "'");
  }

  Result<std::string> WriteTemp(const std::string& path, std::string_view data) {
    NL_ASSIGN_OR_RETURN(auto opened, OpenTemp(path));
    auto [fd, temp] = opened;
    Status written = WriteAll(fd, data, temp);
    if (::close(fd) != 0 && written.ok()) written = ErrnoStatus("close", temp, errno);
    if (!written.ok()) {
      ::unlink(temp.c_str());
      return written;
    }
    return temp;
  }

  // Every object whose key starts with `prefix`, sorted by key.
  // Keys below `prefix`; with `start_after`, files whose key sorts at or before it are skipped
  // without a stat (a Delta log listing from a recent version skips the older 10,000s of commits).
  Result<std::vector<ObjectInfo>> ListAll(std::string_view prefix,
                                          std::string_view start_after = {}) {
    std::string prefix_text(prefix);
    size_t slash = prefix_text.rfind('/');
    std::string directory_key = slash == std::string::npos ? "" : prefix_text.substr(0, slash);
    std::vector<ObjectInfo> out;
    NL_RETURN_NOT_OK(Walk(directory_key, prefix_text, start_after, &out));
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Walk(const std::string& directory_key, const std::string& prefix,
              std::string_view start_after, std::vector<ObjectInfo>* out) {
    std::string directory = directory_key.empty() ? root_ : root_ + "/" + directory_key;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
      return ErrnoStatus("list", directory, errno);
    }
    Status status;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == ".." || name.substr(0, kTempPrefix.size()) == kTempPrefix) {
        continue;
      }
      std::string key = directory_key.empty() ? std::string(name)
                                              : directory_key + "/" + std::string(name);
      // Descend only where keys below could still match the prefix.
      bool could_match = key.compare(0, std::min(key.size(), prefix.size()), prefix, 0,
                                     std::min(key.size(), prefix.size())) == 0;
      if (!could_match) continue;
      if (entry->d_type == DT_REG && !start_after.empty() && key <= start_after) continue;
      struct stat info {};
      std::string path = directory + "/" + std::string(name);
      if (::stat(path.c_str(), &info) != 0) continue;  // deleted meanwhile
      if (S_ISDIR(info.st_mode)) {
        status = Walk(key, prefix, start_after, out);
        if (!status.ok()) break;
      } else if (S_ISREG(info.st_mode) && key.size() >= prefix.size()) {
        out->push_back(MakeInfo(std::move(key), info));
      }
    }
    ::closedir(dir);
    return status;
  }

  std::string root_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> MakeLocalObjectStore(const std::string& root_directory) {
  if (root_directory.empty() || root_directory.front() != '/') {
    return Status::Invalid("local store root must be an absolute path: '" + root_directory + "'");
  }
  std::string root = root_directory;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root = "";
  return std::unique_ptr<ObjectStore>(std::make_unique<LocalObjectStore>(root));
}

}  // namespace neuralake::storage
