#include "neuralake/server/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace neuralake::server {
namespace {

namespace fs = std::filesystem;

// Records what a handler sent.
class RecordingWriter : public ResponseWriter {
 public:
  bool Send(int status, std::string_view content_type, std::string body,
            const std::vector<std::pair<std::string, std::string>>& headers) override {
    status_ = status;
    content_type_ = content_type;
    body_ = std::move(body);
    headers_ = headers;
    return true;
  }
  bool BeginStream(int, std::string_view,
                   const std::vector<std::pair<std::string, std::string>>&) override {
    return false;
  }
  bool Write(std::string_view) override { return false; }
  bool End() override { return false; }
  void Abort() override {}
  bool started() const override { return status_ != 0; }
  int status() const override { return status_; }
  int64_t bytes_sent() const override { return static_cast<int64_t>(body_.size()); }

  std::string Header(const std::string& name) const {
    for (const auto& [key, value] : headers_) {
      if (key == name) return value;
    }
    return "";
  }

  int status_ = 0;
  std::string content_type_;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("nl-static-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(root_ / "ui" / "assets");
    Write(root_ / "ui" / "index.html", "<!doctype html><title>x</title>");
    Write(root_ / "ui" / "assets" / "app.js", "console.log(1)");
    Write(root_ / "secret.txt", "outside");
    fs::create_symlink(root_ / "secret.txt", root_ / "ui" / "link.txt");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

  RecordingWriter Get(const std::string& path, const std::string& etag = "") {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    if (!etag.empty()) request.headers["if-none-match"] = etag;
    RecordingWriter writer;
    served_ = ServeStaticFile((root_ / "ui").string(), request, writer);
    return writer;
  }

  fs::path root_;
  bool served_ = false;
};

TEST_F(StaticFilesTest, SafeJoinRefusesEscapes) {
  EXPECT_EQ(SafeJoin("/srv/ui", "/"), "/srv/ui/index.html");
  EXPECT_EQ(SafeJoin("/srv/ui/", ""), "/srv/ui/index.html");
  EXPECT_EQ(SafeJoin("/srv/ui", "/assets/app.js"), "/srv/ui/assets/app.js");
  EXPECT_EQ(SafeJoin("/srv/ui", "//assets//app.js"), "/srv/ui/assets/app.js");
  EXPECT_EQ(SafeJoin("/srv/ui", "/assets/"), "/srv/ui/assets/index.html");
  EXPECT_EQ(SafeJoin("/srv/ui", "/../secret"), std::nullopt);
  EXPECT_EQ(SafeJoin("/srv/ui", "/assets/../../x"), std::nullopt);
  EXPECT_EQ(SafeJoin("/srv/ui", "/./index.html"), std::nullopt);
  EXPECT_EQ(SafeJoin("/srv/ui", "/a\\..\\b"), std::nullopt);
  EXPECT_EQ(SafeJoin("/srv/ui", std::string_view("/a\0b", 4)), std::nullopt);
  EXPECT_EQ(SafeJoin("/srv/ui", "/..."), "/srv/ui/...");  // a name, not a parent
}

TEST_F(StaticFilesTest, ContentTypes) {
  EXPECT_EQ(StaticContentType("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(StaticContentType("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticContentType("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticContentType("catalog.json"), "application/json");
  EXPECT_EQ(StaticContentType("blob"), "application/octet-stream");
}

TEST_F(StaticFilesTest, ServesFilesWithCacheHeaders) {
  auto index = Get("/");
  ASSERT_TRUE(served_);
  EXPECT_EQ(index.status_, 200);
  EXPECT_EQ(index.content_type_, "text/html; charset=utf-8");
  EXPECT_EQ(index.body_, "<!doctype html><title>x</title>");
  EXPECT_EQ(index.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(index.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(index.Header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  std::string etag = index.Header("ETag");
  ASSERT_FALSE(etag.empty());

  auto again = Get("/index.html", etag);
  EXPECT_EQ(again.status_, 304);
  EXPECT_TRUE(again.body_.empty());

  auto script = Get("/assets/app.js");
  EXPECT_EQ(script.status_, 200);
  EXPECT_EQ(script.content_type_, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body_, "console.log(1)");
}

TEST_F(StaticFilesTest, MissingAndEscapingPathsAreNotServed) {
  Get("/nope.js");
  EXPECT_FALSE(served_);
  Get("/../secret.txt");
  EXPECT_FALSE(served_);
  Get("/link.txt");  // a symlink out of the UI directory
  EXPECT_FALSE(served_);
  Get("/assets");  // a directory without index.html
  EXPECT_FALSE(served_);
  HttpRequest request;
  request.path = "/";
  RecordingWriter writer;
  EXPECT_FALSE(ServeStaticFile("", request, writer));
}

}  // namespace
}  // namespace neuralake::server
