#include "vehicle_tracks.h"

#include <catch2/catch.hpp>

namespace cityops::sim {

using namespace std::chrono_literals;

TEST_CASE("A vehicle parks, drives in a straight line at a steady speed, and parks where it arrived",
          "[vehicle_tracks]") {
  VehicleTracks tracks;
  const auto t0 = VehicleTracks::Clock::time_point{} + 1000s;
  CHECK_FALSE(tracks.Where("veh-1", t0).has_value());

  tracks.Park("veh-1", 47.30, 5.00);
  auto fix = tracks.Where("veh-1", t0);
  REQUIRE(fix.has_value());
  CHECK(fix->lat == 47.30);
  CHECK(fix->speed_kmh == 0);

  // 0.01 degree of latitude north (about 1,112 m) in 100 s: about 40 km/h.
  tracks.Drive("veh-1", 47.31, 5.00, t0, t0 + 100s);
  fix = tracks.Where("veh-1", t0 + 50s);
  CHECK(fix->lat == Approx(47.305));
  CHECK(fix->lon == Approx(5.00));
  CHECK(fix->speed_kmh == Approx(1111.95 / 100 * 3.6).epsilon(0.01));
  fix = tracks.Where("veh-1", t0 + 200s);
  CHECK(fix->lat == Approx(47.31));
  CHECK(fix->speed_kmh == 0);

  // Sent elsewhere halfway: it leaves from where it was then.
  tracks.Park("veh-3", 47.30, 5.00);
  tracks.Drive("veh-3", 47.31, 5.00, t0, t0 + 100s);
  tracks.Drive("veh-3", 47.305, 5.01, t0 + 50s, t0 + 150s);
  fix = tracks.Where("veh-3", t0 + 50s);
  CHECK(fix->lat == Approx(47.305));
  CHECK(fix->lon == Approx(5.00));
  fix = tracks.Where("veh-3", t0 + 100s);
  CHECK(fix->lat == Approx(47.305));
  CHECK(fix->lon == Approx(5.005));
  CHECK_FALSE(tracks.Where("veh-2", t0).has_value());
}

}  // namespace cityops::sim
