#include "neuralake/server/static_files.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

namespace neuralake::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool HasIndex(const fs::path& dir) {
  std::error_code error;
  return fs::is_regular_file(dir / "index.html", error);
}

}  // namespace

std::optional<std::string> SafeJoin(const std::string& root, std::string_view path) {
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string joined = root;
  while (!joined.empty() && joined.back() == '/') joined.pop_back();
  size_t start = 0;
  bool any = false;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view segment = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment == "." || segment == "..") return std::nullopt;
    if (!segment.empty()) {
      joined += "/";
      joined += segment;
      any = true;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!any || path.empty() || path.back() == '/') joined += "/index.html";
  return joined;
}

std::string_view StaticContentType(std::string_view file_name) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (EndsWith(file_name, extension)) return type;
  }
  return "application/octet-stream";
}

bool ServeStaticFile(const std::string& root, const HttpRequest& request, ResponseWriter& writer) {
  if (root.empty()) return false;
  auto joined = SafeJoin(root, request.path);
  if (!joined) return false;
  std::error_code error;
  fs::path file(*joined);
  if (!fs::is_regular_file(file, error)) return false;
  // Symlinks pointing out of the UI directory are not followed.
  fs::path real_root = fs::weakly_canonical(root, error);
  fs::path real_file = fs::weakly_canonical(file, error);
  if (error) return false;
  auto [root_end, file_it] =
      std::mismatch(real_root.begin(), real_root.end(), real_file.begin(), real_file.end());
  if (root_end != real_root.end()) return false;
  auto size = fs::file_size(file, error);
  if (error) return false;
  auto modified = fs::last_write_time(file, error).time_since_epoch().count();
  char etag[64];
  std::snprintf(etag, sizeof(etag), "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(modified));
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Cache-Control", "no-cache"},
      {"ETag", etag},
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy", std::string(kSecurityPolicy)},
      {"Referrer-Policy", "no-referrer"},
  };
  if (request.Header("if-none-match").value_or("") == etag) {
    writer.Send(304, StaticContentType(file.filename().string()), "", headers);
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream body;
  body << in.rdbuf();
  writer.Send(200, StaticContentType(file.filename().string()), std::move(body).str(), headers);
  return true;
}

std::string DefaultUiDir() {
  std::vector<fs::path> candidates;
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(exe.parent_path().parent_path() / "share" / "neuralake" / "ui");
#ifdef NEURALAKE_SOURCE_DIR
  candidates.push_back(fs::path(NEURALAKE_SOURCE_DIR) / "web" / "dist");
#endif
  for (const auto& candidate : candidates) {
    if (HasIndex(candidate)) return candidate.lexically_normal().string();
  }
  return "";
}

}  // namespace neuralake::server
