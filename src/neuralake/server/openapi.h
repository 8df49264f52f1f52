// The API's OpenAPI 3.1 document (GET /openapi.json) and a self-contained page rendering it
// (GET /docs: no CDN, no external script).
#pragma once

#include <string>

namespace neuralake::server {

std::string OpenApiDocument(const std::string& version);
std::string DocsPage();

}  // namespace neuralake::server
