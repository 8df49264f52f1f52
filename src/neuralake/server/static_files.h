// The web UI's files (index.html, app.js, style.css, built from web/ by scripts/setup.sh) served
// by `neuralake serve` at `/`. Paths are joined to the UI directory safely: any '.' or '..'
// segment, backslash or NUL is refused, and the joined file must lie inside the directory.
// Every answer carries an ETag (size and modification time) and `Cache-Control: no-cache`, so
// browsers revalidate cheaply (304) and never run a stale app.js after an upgrade; a strict
// Content-Security-Policy forbids scripts from anywhere but this server.
//
// Thread safety: the functions are stateless; ServeStaticFile may run on many threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "neuralake/server/http.h"

namespace neuralake::server {

// `root` joined with the URL path `path` ("/" and "" mean index.html); nullopt when the path is
// unsafe (a '.'/'..' segment, a backslash, a NUL).
std::optional<std::string> SafeJoin(const std::string& root, std::string_view path);

// The Content-Type for a file name by its extension ("application/octet-stream" if unknown).
std::string_view StaticContentType(std::string_view file_name);

// Answers a GET for a UI file under `root`: 200 with the file, 304 when If-None-Match matches.
// Returns false (nothing sent) when no such file exists, so the caller can answer 404.
bool ServeStaticFile(const std::string& root, const HttpRequest& request, ResponseWriter& writer);

// Where the built UI is when --ui-dir is not given: <binary dir>/../share/neuralake/ui, else the
// source tree's web/dist; "" when neither holds an index.html.
std::string DefaultUiDir();

}  // namespace neuralake::server
