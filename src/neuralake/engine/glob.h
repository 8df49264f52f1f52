// Glob matching on object keys, for the engine's object-store filesystem.
// '*' and '?' stay within one path segment, '**' crosses '/', [abc] / [!abc] / [a-z] sets.
#pragma once

#include <string_view>

namespace neuralake::engine {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace neuralake::engine
