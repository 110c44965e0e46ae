#include "vehicle_tracks.h"

#include <algorithm>

#include "cityops/common/geo.h"

namespace cityops::sim {

VehicleFix VehicleTracks::At(const Track& track, Clock::time_point now) {
  if (now >= track.arrive || track.arrive <= track.depart) return {track.to_lat, track.to_lon, 0};
  if (now <= track.depart) return {track.from_lat, track.from_lon, 0};
  const double total = std::chrono::duration<double>(track.arrive - track.depart).count();
  const double done = std::chrono::duration<double>(now - track.depart).count() / total;
  const double metres = common::DistanceMeters(track.from_lat, track.from_lon, track.to_lat, track.to_lon);
  return {track.from_lat + (track.to_lat - track.from_lat) * done,
          track.from_lon + (track.to_lon - track.from_lon) * done, metres / total * 3.6};
}

void VehicleTracks::Park(const std::string& vehicle_id, double lat, double lon) {
  std::lock_guard lock(mutex_);
  tracks_[vehicle_id] = Track{lat, lon, lat, lon, {}, {}};
}

void VehicleTracks::Drive(const std::string& vehicle_id, double lat, double lon, Clock::time_point depart,
                          Clock::time_point arrive) {
  std::lock_guard lock(mutex_);
  auto it = tracks_.find(vehicle_id);
  const VehicleFix from = it == tracks_.end() ? VehicleFix{lat, lon, 0} : At(it->second, depart);
  tracks_[vehicle_id] = Track{from.lat, from.lon, lat, lon, depart, std::max(arrive, depart)};
}

std::optional<VehicleFix> VehicleTracks::Where(const std::string& vehicle_id, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = tracks_.find(vehicle_id);
  if (it == tracks_.end()) return std::nullopt;
  return At(it->second, now);
}

}  // namespace cityops::sim
