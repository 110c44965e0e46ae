#include "random.h"

#include <catch2/catch.hpp>

#include <vector>

namespace cityops::sim {

TEST_CASE("SimRng: the same seed draws the same numbers", "[random]") {
  SimRng a(123);
  SimRng b(123);
  SimRng c(124);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.UniformInt(0, 1000000);
    CHECK(x == b.UniformInt(0, 1000000));
    differs = differs || x != c.UniformInt(0, 1000000);
  }
  CHECK(differs);
}

TEST_CASE("SimRng: mt19937_64's first output is the standard's", "[random]") {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
  SimRng rng(5489u);
  uint64_t value = 0;
  for (int i = 0; i < 10000; ++i) value = rng.Next();
  CHECK(value == 9981545732273789042ULL);
}

TEST_CASE("SimRng: UniformInt stays in its range and reaches both ends", "[random]") {
  SimRng rng(9);
  std::vector<int> seen(31, 0);
  for (int i = 0; i < 10000; ++i) {
    const auto v = rng.UniformInt(30, 60);
    REQUIRE(v >= 30);
    REQUIRE(v <= 60);
    ++seen[static_cast<size_t>(v - 30)];
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    INFO(i + 30);
    CHECK(seen[i] > 200);  // about 322 each
  }
  CHECK(rng.UniformInt(5, 5) == 5);
  CHECK(rng.UniformInt(-3, -3) == -3);
}

TEST_CASE("SimRng: UniformReal from lo up to (not including) hi", "[random]") {
  SimRng rng(10);
  double lo = 1e9, hi = -1e9, sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double v = rng.UniformReal(47.29, 47.36);
    REQUIRE(v >= 47.29);
    REQUIRE(v < 47.36);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  CHECK(lo < 47.30);
  CHECK(hi > 47.35);
  CHECK(sum / 10000 == Approx(47.325).margin(0.002));
}

}  // namespace cityops::sim
