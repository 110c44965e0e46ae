#pragma once

#include <memory>

#include "cityops/common/geo.h"
#include "domain/model.h"

namespace cityops::dispatch {

// How long a crew needs to get somewhere. The great-circle estimate below is
// the default; a road-network router can take its place behind this interface.
class EtaEstimator {
 public:
  virtual ~EtaEstimator() = default;
  virtual double Seconds(const Point& from, const Point& to) const = 0;
  // A lower bound of Seconds() for a straight-line distance in metres: lets
  // the spatial search stop once no farther crew can arrive sooner.
  virtual double LowerBoundSeconds(double metres) const = 0;
};

// Great-circle distance times a road factor, over an urban speed.
class GreatCircleEta final : public EtaEstimator {
 public:
  GreatCircleEta(double road_factor, double speed_kmh) : road_factor_(road_factor), speed_mps_(speed_kmh / 3.6) {}
  double Seconds(const Point& from, const Point& to) const override {
    return LowerBoundSeconds(common::DistanceMeters(from.lat, from.lon, to.lat, to.lon));
  }
  double LowerBoundSeconds(double metres) const override { return metres * road_factor_ / speed_mps_; }

 private:
  double road_factor_;
  double speed_mps_;
};

}  // namespace cityops::dispatch
