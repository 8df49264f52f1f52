// Parsing JSON text that comes from outside the process (Delta logs written by any writer,
// checkpoint cells, catalog files) without letting hostile input exhaust the stack.
//
// nlohmann::json parses iteratively, but copying, dumping and our own recursive walks over a value
// (action and schema decoding) recurse once per nesting level: a line nested ~70,000 levels deep
// would crash the process. ParseJson refuses text nested deeper than kMaxJsonDepth before parsing,
// with a one-line Corrupt error, so every later walk is bounded.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "neuralake/common/result.h"

namespace neuralake {

// Deep enough for any real Delta schema or statistics object (Spark caps schemas far lower).
inline constexpr int kMaxJsonDepth = 256;

// The deepest nesting of arrays/objects in `text` (strings and escapes skipped), stopping early
// once `limit` is exceeded. Malformed text is measured as far as it goes.
int JsonNestingDepth(std::string_view text, int limit = kMaxJsonDepth);

// Parses `text`; Corrupt("invalid JSON: ...") or Corrupt("JSON nested deeper than 256 levels")
// instead of throwing.
Result<nlohmann::json> ParseJson(std::string_view text);

}  // namespace neuralake
