// UUID text: the one place that lays out 128 random bits as an RFC 4122 version-4 UUID.
// Callers bring the randomness (a process RNG for file and transaction ids, the generator's
// counter-based stream for deterministic data). Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace neuralake {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" from two 64-bit random words (version and variant bits
// are set here).
inline std::string FormatUuidV4(uint64_t high, uint64_t low) {
  high = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;    // variant 10
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xFFFF),
                static_cast<unsigned>(high & 0xFFFF), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

}  // namespace neuralake
