// Object store benchmark: PUT and GET ops/s and MB/s by object size and concurrency, against
// MinIO (or any store URI), plus the page-cache read bandwidth of the same machine for scale.
//
//   build/bin/object_store_bench [--uri s3://lake/bench] [--seconds 3]
//                                [--sizes 4KiB,1MiB,16MiB] [--concurrency 1,8,32]
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace {

using Clock = std::chrono::steady_clock;
using neuralake::storage::ObjectStore;

int64_t ParseSize(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  int64_t value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit == "KiB" || unit == "K" || unit == "KB") return value << 10;
  if (unit == "MiB" || unit == "M" || unit == "MB") return value << 20;
  if (unit == "GiB" || unit == "G" || unit == "GB") return value << 30;
  return value;
}

std::string FormatSize(int64_t bytes) {
  if (bytes >= (1 << 20)) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1 << 10)) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

struct Cell {
  double ops_per_second = 0;
  double mb_per_second = 0;
  int64_t errors = 0;
};

// Runs `operation(thread, i)` on `threads` threads for about `seconds` (and at most `max_ops`).
template <typename Operation>
Cell Measure(int threads, double seconds, int64_t max_ops, int64_t bytes_per_op,
             Operation operation) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> errors{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (Clock::now() < deadline) {
        int64_t i = next.fetch_add(1);
        if (i >= max_ops) break;
        if (operation(t, i)) {
          done.fetch_add(1);
        } else {
          errors.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : pool) thread.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Cell cell;
  cell.ops_per_second = done.load() / elapsed;
  cell.mb_per_second = done.load() * static_cast<double>(bytes_per_op) / elapsed / 1e6;
  cell.errors = errors.load();
  return cell;
}

double PageCacheReadMBps(int64_t size) {
  auto path = std::filesystem::temp_directory_path() / "neuralake-bench-pagecache.bin";
  std::string data(static_cast<size_t>(size), 'p');
  {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    (void)!::write(fd, data.data(), data.size());
    ::close(fd);
  }
  std::string buffer(static_cast<size_t>(size), '\0');
  int rounds = 0;
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < 1.0) {
    int fd = ::open(path.c_str(), O_RDONLY);
    int64_t got = 0;
    while (got < size) {
      ssize_t n = ::pread(fd, buffer.data() + got, static_cast<size_t>(size - got), got);
      if (n <= 0) break;
      got += n;
    }
    ::close(fd);
    ++rounds;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::filesystem::remove(path);
  return rounds * static_cast<double>(size) / elapsed / 1e6;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Object store benchmark (PUT/GET throughput by size and concurrency)");
  std::string uri = "s3://lake/bench/object-store";
  double seconds = 3;
  std::string sizes_text = "4KiB,1MiB,16MiB";
  std::string concurrency_text = "1,8,32";
  app.add_option("--uri", uri, "store to benchmark (s3://..., /local/dir, memory://...)");
  app.add_option("--seconds", seconds, "time per cell");
  app.add_option("--sizes", sizes_text, "object sizes");
  app.add_option("--concurrency", concurrency_text, "thread counts");
  CLI11_PARSE(app, argc, argv);

  auto options = neuralake::testing::LocalServiceStorageOptions();
  options.s3.max_retries = 3;
  auto opened = neuralake::storage::OpenObjectStore(uri, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "error: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<ObjectStore> store = std::move(opened).value();
  if (auto probe = store->List("probe/"); !probe.ok()) {
    std::fprintf(stderr, "error: %s (is MinIO running? make services-up)\n",
                 probe.status().ToString().c_str());
    return 1;
  }

  std::printf("object store benchmark on %s, %.1f s per cell, %u cores\n", uri.c_str(), seconds,
              std::thread::hardware_concurrency());
  std::printf("%-8s %-5s %12s %10s %12s %10s %7s\n", "size", "conc", "PUT ops/s", "PUT MB/s",
              "GET ops/s", "GET MB/s", "errors");
  for (const std::string& size_text : Split(sizes_text)) {
    int64_t size = ParseSize(size_text);
    std::string payload(static_cast<size_t>(size), '\0');
    for (int64_t i = 0; i < size; ++i) payload[static_cast<size_t>(i)] = static_cast<char>(i * 31);
    // Bound the bytes per cell so large objects do not fill the disk.
    int64_t max_ops = std::max<int64_t>(64, (2LL << 30) / size);
    for (const std::string& threads_text : Split(concurrency_text)) {
      int threads = std::stoi(threads_text);
      std::string prefix = "run-" + std::to_string(getpid()) + "/" + size_text + "-c" +
                           threads_text + "/";
      std::atomic<int64_t> written{0};
      Cell put = Measure(threads, seconds, max_ops, size, [&](int, int64_t i) {
        bool ok = store->Put(prefix + std::to_string(i), payload).ok();
        if (ok) written.fetch_add(1);
        return ok;
      });
      int64_t objects = std::max<int64_t>(1, written.load());
      Cell get = Measure(threads, seconds, 1LL << 40, size, [&](int, int64_t i) {
        auto got = store->Get(prefix + std::to_string(i % objects));
        return got.ok() && static_cast<int64_t>(got->size()) == size;
      });
      std::printf("%-8s %-5d %12.0f %10.1f %12.0f %10.1f %7lld\n", FormatSize(size).c_str(),
                  threads, put.ops_per_second, put.mb_per_second, get.ops_per_second,
                  get.mb_per_second, static_cast<long long>(put.errors + get.errors));
      std::fflush(stdout);
      // Clean up what this cell wrote.
      auto listed = store->List(prefix);
      if (listed.ok()) {
        for (const auto& object : *listed) (void)store->Delete(object.key);
      }
    }
  }
  double page_cache = PageCacheReadMBps(16 << 20);
  std::printf("page-cache read bandwidth (16 MiB file, same machine): %.0f MB/s\n", page_cache);
  return 0;
}
