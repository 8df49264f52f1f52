// ObjectStoreFileSystem: DuckDB's view of our object stores (engine-internal; includes DuckDB).
//
// Registered as a DuckDB sub-filesystem, it claims paths starting with s3://, s3a:// and
// memory://, so read_parquet / read_csv / COPY ... TO on such paths go through
// neuralake::storage: reads are ranged GETs at the offsets DuckDB asks for (a selective Parquet
// scan fetches the footer and the row groups it needs, nothing else); writes stream into an
// ObjectWriter and become visible atomically when DuckDB closes the file. Directories do not exist
// in object stores: directory calls are no-ops.
//
// Thread safety: DuckDB calls it from many threads; stores are opened once per bucket and shared.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "duckdb.hpp"
#include "neuralake/common/result.h"
#include "neuralake/engine/glob.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store.h"

namespace neuralake::engine {

using StoreOpener =
    std::function<Result<std::shared_ptr<storage::ObjectStore>>(const storage::Location& root)>;

class ObjectStoreFileSystem : public duckdb::FileSystem {
 public:
  explicit ObjectStoreFileSystem(StoreOpener opener) : opener_(std::move(opener)) {}

  std::string GetName() const override { return "NeuralakeObjectStoreFileSystem"; }
  bool CanHandleFile(const std::string& path) override;

  duckdb::unique_ptr<duckdb::FileHandle> OpenFile(
      const std::string& path, duckdb::FileOpenFlags flags,
      duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override;

  void Read(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes,
            duckdb::idx_t location) override;
  int64_t Read(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes) override;
  void Write(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes,
             duckdb::idx_t location) override;
  int64_t Write(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes) override;
  int64_t GetFileSize(duckdb::FileHandle& handle) override;
  duckdb::timestamp_t GetLastModifiedTime(duckdb::FileHandle& handle) override;
  void FileSync(duckdb::FileHandle& handle) override {}
  void Seek(duckdb::FileHandle& handle, duckdb::idx_t location) override;
  duckdb::idx_t SeekPosition(duckdb::FileHandle& handle) override;
  bool CanSeek() override { return true; }
  bool OnDiskFile(duckdb::FileHandle& handle) override { return false; }

  // Lake scans pass the size and modification time they know from the Delta log in the
  // OpenFileInfo ("file_size", "last_modified"): such files open without a HEAD request.
  bool SupportsOpenFileExtended() const override { return true; }
  duckdb::unique_ptr<duckdb::FileHandle> OpenFileExtended(
      const duckdb::OpenFileInfo& file, duckdb::FileOpenFlags flags,
      duckdb::optional_ptr<duckdb::FileOpener> opener) override;

  bool FileExists(const std::string& filename,
                  duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override;
  void RemoveFile(const std::string& filename,
                  duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override;
  bool TryRemoveFile(const std::string& filename,
                     duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override;
  bool DirectoryExists(const std::string& directory,
                       duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override {
    return false;
  }
  void CreateDirectory(const std::string& directory,
                       duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override {}
  void RemoveDirectory(const std::string& directory,
                       duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override {}
  bool ListFiles(const std::string& directory,
                 const std::function<void(const std::string&, bool)>& callback,
                 duckdb::FileOpener* opener = nullptr) override;
  duckdb::vector<duckdb::OpenFileInfo> Glob(const std::string& path,
                                            duckdb::FileOpener* opener = nullptr) override;

  // Splits "s3://bucket/key" into the store for the bucket and the key. Throws IOException.
  std::pair<std::shared_ptr<storage::ObjectStore>, std::string> Resolve(const std::string& path);

 private:
  StoreOpener opener_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<storage::ObjectStore>> stores_;  // by "scheme://bucket"
};

}  // namespace neuralake::engine
