// Counter-based randomness: every value is a pure function of (seed, column, row).
//
// That is what makes generated data byte-identical whatever the thread count or file layout: any
// chunk of rows can be generated independently, in any order, by any thread. RowRandom is a tiny
// SplitMix64 stream seeded from a hash of the three coordinates. Plain value type.
#pragma once

#include <cmath>
#include <cstdint>

namespace neuralake::gen {

inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class RowRandom {
 public:
  RowRandom(uint64_t seed, uint64_t column, uint64_t row)
      : state_(Mix64(seed ^ Mix64(column * 0xD1B54A32D192ED03ULL ^ Mix64(row)))) {}

  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return Mix64(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  // Standard normal (Box-Muller; uses two uniforms).
  double Normal() {
    double u1 = 1.0 - Uniform();  // (0, 1]
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace neuralake::gen
