#pragma once

// Where the crews' vehicles are: parked, or driving in a straight line from
// one point to another between two instants. Written by the crews' app (a
// crew accepts an order and drives; it arrives and parks), read by the
// readings loop, which sends each vehicle's "position" reading. Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace cityops::sim {

struct VehicleFix {
  double lat = 0;
  double lon = 0;
  double speed_kmh = 0;
};

class VehicleTracks {
 public:
  using Clock = std::chrono::steady_clock;

  void Park(const std::string& vehicle_id, double lat, double lon);
  // Drives from where the vehicle is at `depart` to (lat, lon), arriving at
  // `arrive` (parked there from then on).
  void Drive(const std::string& vehicle_id, double lat, double lon, Clock::time_point depart, Clock::time_point arrive);
  // Where it is at `now`; nothing for a vehicle never parked.
  std::optional<VehicleFix> Where(const std::string& vehicle_id, Clock::time_point now) const;

 private:
  struct Track {
    double from_lat = 0, from_lon = 0, to_lat = 0, to_lon = 0;
    Clock::time_point depart{}, arrive{};
  };
  static VehicleFix At(const Track& track, Clock::time_point now);

  mutable std::mutex mutex_;
  std::map<std::string, Track> tracks_;
};

}  // namespace cityops::sim
