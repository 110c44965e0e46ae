#pragma once

#include <chrono>
#include <string>

#include "cityops/calls/v1/requests.pb.h"
#include "cityops/common/proto_time.h"
#include "domain/correlator.h"
#include "domain/rules.h"
#include "domain/topology.h"

// Plain data for the correlation tests: a cabinet with 40 lamps along a
// street, an access-point site with 8 cameras, a small cabinet with 4 lamps,
// a junction and a school, and builders of fault events and requests.
namespace cityops::incidents::testing {

namespace tv1 = cityops::telemetry::v1;
using namespace std::chrono_literals;

inline const TimePoint kT0 = std::chrono::system_clock::from_time_t(1795000000);  // 2026-11-18

inline Rules DefaultRules() {
  auto rules = Rules::FromJson(DefaultRulesJson());
  if (!rules.ok()) throw std::runtime_error(std::string(rules.status().message()));
  return *rules;
}

inline std::string LampId(int i) { return "lp-" + std::to_string(i); }
inline std::string CameraId(int i) { return "cam-" + std::to_string(i); }
// Lamps 22 m apart going north from 47.3200 N 5.0400 E.
inline double LampLat(int i) { return 47.3200 + 0.0002 * i; }

inline Topology MakeTopology() {
  Topology t;
  t.Upsert({"cab-1", tv1::ASSET_KIND_CONTROL_CABINET, "", 4, 47.3199, 5.0400, 1});
  for (int i = 0; i < 40; ++i) t.Upsert({LampId(i), tv1::ASSET_KIND_LIGHT_POINT, "cab-1", 4, LampLat(i), 5.0400, 1});
  t.Upsert({"cab-2", tv1::ASSET_KIND_CONTROL_CABINET, "", 7, 47.3300, 5.0500, 1});
  for (int i = 100; i < 104; ++i) {
    t.Upsert({LampId(i), tv1::ASSET_KIND_LIGHT_POINT, "cab-2", 7, 47.3300 + 0.0002 * (i - 100), 5.0500, 1});
  }
  t.Upsert({"aps-1", tv1::ASSET_KIND_ACCESS_POINT_SITE, "", 2, 47.3100, 5.0300, 1});
  for (int i = 0; i < 8; ++i)
    t.Upsert({CameraId(i), tv1::ASSET_KIND_CAMERA, "aps-1", 2, 47.3101, 5.0301 + 0.001 * i, 1});
  t.Upsert({"tc-1", tv1::ASSET_KIND_TRAFFIC_CONTROLLER, "", 1, 47.3220, 5.0410, 1});
  t.Upsert({"bap-1", tv1::ASSET_KIND_BUILDING_ALARM_PANEL, "", 9, 47.3150, 5.0200, 1});
  return t;
}

inline int event_counter = 0;

inline tv1::FaultEvent Fault(const Topology& topology, const std::string& asset, tv1::FaultType type, TimePoint at,
                             bool raised = true) {
  tv1::FaultEvent e;
  e.mutable_meta()->set_event_id("ev-" + std::to_string(++event_counter));
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(at);
  e.mutable_meta()->set_producer("telemetry-ingest");
  e.set_asset_id(asset);
  if (const AssetInfo* info = topology.Find(asset); info != nullptr) {
    e.set_asset_kind(info->kind);
    e.set_parent_id(info->parent_id);
    e.set_district(info->district);
    e.mutable_location()->set_lat(info->lat);
    e.mutable_location()->set_lon(info->lon);
  }
  e.set_type(type);
  e.set_state(raised ? tv1::FAULT_STATE_RAISED : tv1::FAULT_STATE_CLEARED);
  e.set_source(tv1::FAULT_SOURCE_SELF_REPORTED);
  *e.mutable_at() = common::ToProtoTime(at);
  return e;
}

inline calls::v1::RequestEvent Request(const std::string& id, const std::string& category, double lat, double lon,
                                       TimePoint at) {
  calls::v1::RequestEvent e;
  e.mutable_meta()->set_event_id("req-ev-" + id);
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(at);
  e.set_change(calls::v1::REQUEST_CHANGE_CREATED);
  auto* r = e.mutable_request();
  r->set_id(id);
  r->set_category(category);
  r->mutable_location()->set_lat(lat);
  r->mutable_location()->set_lon(lon);
  r->set_district(4);
  r->set_status(calls::v1::REQUEST_STATUS_OPEN);
  *r->mutable_created_at() = common::ToProtoTime(at);
  return e;
}

// Metres north of a latitude, as degrees.
inline double NorthDegrees(double metres) { return metres / 111195.0; }

}  // namespace cityops::incidents::testing
