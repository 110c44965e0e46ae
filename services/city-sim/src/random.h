#pragma once

// The simulator's randomness: std::mt19937_64 (whose output the standard fixes)
// with distributions of our own, because std's distributions may give other
// numbers on another standard library, and a seed must give the same city
// everywhere.

#include <cstdint>
#include <random>

namespace cityops::sim {

class SimRng {
 public:
  explicit SimRng(uint64_t seed) : engine_(seed) {}

  // Uniform in [lo, hi], both included (lo <= hi), without modulo bias.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    if (span == UINT64_MAX) return static_cast<int64_t>(engine_());
    const uint64_t range = span + 1;
    // Largest multiple of range that fits: draws above it are rejected.
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
    uint64_t draw = engine_();
    while (draw > limit) draw = engine_();
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + draw % range);
  }

  // Uniform in [0, 1), from the top 53 bits of one draw.
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform in [lo, hi).
  double UniformReal(double lo, double hi) { return lo + (hi - lo) * Unit(); }

  uint64_t Next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace cityops::sim
