#include "lighting_desk.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/inbox.h"
#include "cityops/common/outbox.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "lighting_store.h"

namespace cityops::lighting {
namespace {

namespace tv1 = cityops::telemetry::v1;
constexpr const char* kProducer = "lighting-control";
constexpr size_t kMaxPendingReports = 20000;

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

LightingDesk::LightingDesk(common::PgPool& pool, const LightingConfig& config, FaultReporter& faults,
                           common::Clock& clock, CommandFeed& feed, std::string assets_topic,
                           std::chrono::milliseconds rebuild_quiet, prometheus::Registry& metrics)
    : pool_(pool),
      config_(config),
      faults_(faults),
      clock_(clock),
      feed_(feed),
      assets_topic_(std::move(assets_topic)),
      rebuild_quiet_(rebuild_quiet),
      commands_sent_(prometheus::BuildCounter()
                         .Name("cityops_lighting_control_commands_sent_total")
                         .Help("Commands sent to the field (one per cabinet section changed)")
                         .Register(metrics)
                         .Add({})),
      points_commanded_(prometheus::BuildCounter()
                            .Name("cityops_lighting_control_points_commanded_total")
                            .Help("Light points those commands set")
                            .Register(metrics)
                            .Add({})),
      not_at_level_(prometheus::BuildGauge()
                        .Name("cityops_lighting_control_points_not_at_level")
                        .Help("Light points not (yet) confirmed at their commanded level")
                        .Register(metrics)
                        .Add({})),
      light_points_(prometheus::BuildGauge()
                        .Name("cityops_lighting_control_light_points")
                        .Help("Light points under control")
                        .Register(metrics)
                        .Add({})),
      planning_(
          prometheus::BuildHistogram()
              .Name("cityops_lighting_control_planning_seconds")
              .Help("Time to plan the whole city and work out the commands, per tick")
              .Register(metrics)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1})),
      energy_today_(prometheus::BuildGauge()
                        .Name("cityops_lighting_control_energy_today_wh")
                        .Help("Energy used today (local day) by each district's light points, measured and estimated")
                        .Register(metrics)),
      faults_reported_(prometheus::BuildCounter()
                           .Name("cityops_lighting_control_faults_reported_total")
                           .Help("COMMAND_NOT_APPLIED faults reported to telemetry ingest, raised or cleared")
                           .Register(metrics)),
      report_failures_(prometheus::BuildCounter()
                           .Name("cityops_lighting_control_fault_report_failures_total")
                           .Help("Fault reports that failed (retried at the next tick)")
                           .Register(metrics)
                           .Add({})),
      readings_(prometheus::BuildCounter()
                    .Name("cityops_lighting_control_readings_applied_total")
                    .Help("Light points' readings used, by metric")
                    .Register(metrics)),
      set_aside_(prometheus::BuildCounter()
                     .Name("cityops_lighting_control_messages_set_aside_total")
                     .Help("Input messages that could not be used, kept in dead_letters, by reason")
                     .Register(metrics)),
      failures_(prometheus::BuildCounter()
                    .Name("cityops_lighting_control_apply_failures_total")
                    .Help("Transactions that failed (state reloaded, inputs retried)")
                    .Register(metrics)
                    .Add({})) {}

absl::Status LightingDesk::Load() {
  std::lock_guard lock(mutex_);
  return LoadLocked();
}

absl::Status LightingDesk::LoadLocked() {
  const TimePoint now = clock_.Now();
  std::vector<LightPoint> points;
  store::Schedule schedule;
  std::vector<store::CommandedRow> commanded;
  std::vector<store::MeterRow> meters;
  std::vector<DistrictDayEnergy> energy;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    points = store::LoadPoints(tx);
    auto loaded = store::LoadSchedule(tx, now);
    if (!loaded.ok()) return loaded.status();
    schedule = std::move(*loaded);
    commanded = store::LoadCommanded(tx);
    meters = store::LoadMeters(tx);
    energy = store::LoadEnergy(tx);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  auto city = CityIndex::Build(std::move(points));
  if (!city.ok()) return city.status();
  auto owned_city = std::make_unique<CityIndex>(std::move(*city));

  // The shipped profiles, replaced by stored ones of the same id.
  std::vector<DimmingProfile> profiles = schedule.profiles;
  for (const auto& p : config_.profiles) {
    if (std::none_of(profiles.begin(), profiles.end(), [&](const auto& s) { return s.id == p.id; })) {
      profiles.push_back(p);
    }
  }
  const std::string default_id = schedule.default_profile.empty() ? config_.default_profile : schedule.default_profile;
  auto planner = Planner::Create(*owned_city, config_.Clock(), profiles, default_id);
  if (!planner.ok()) return planner.status();
  for (const auto& [group, profile] : schedule.assignments) {
    if (auto s = planner->AssignProfile(group, profile); !s.ok()) {
      spdlog::warn("profile {} of {} not applied: {}", profile, ScopeName(group), std::string(s.message()));
    }
  }
  for (const auto& e : schedule.exceptions) {
    if (auto s = planner->AddException(e); !s.ok())
      spdlog::warn("exception {} not applied: {}", e.id, std::string(s.message()));
  }
  for (const auto& o : schedule.overrides) {
    if (auto s = planner->AddOverride(o, now); !s.ok())
      spdlog::warn("override {} not applied: {}", o.id, std::string(s.message()));
  }

  auto commands = std::make_unique<CommandState>(*owned_city);
  auto tracker = std::make_unique<ConfirmationTracker>(*owned_city, config_.confirmation);
  std::vector<uint8_t> levels(owned_city->point_count(), kNoLevel);
  for (const auto& row : commanded) {
    const auto p = owned_city->FindPoint(row.point_id);
    if (!p) continue;
    levels[*p] = row.level;
    tracker->Restore(*p, row.level, row.at, row.confirmed, row.reported);
  }
  if (auto s = commands->Restore(levels); !s.ok()) return s;
  auto meter = std::make_unique<EnergyMeter>(*owned_city, config_.Clock(), config_.energy);
  for (const auto& m : meters) {
    const auto p = owned_city->FindPoint(m.point_id);
    if (!p) continue;
    if (auto s = meter->RestorePoint(*p, m.last_at, m.last_w); !s.ok())
      spdlog::warn("meter {}: {}", m.point_id, std::string(s.message()));
  }
  // The level in force since the last command (the meter's estimates need it).
  for (const auto& row : commanded) {
    if (const auto p = owned_city->FindPoint(row.point_id)) meter->OnCommanded(*p, row.at, row.level);
  }
  for (const auto& bucket : energy) {
    if (auto s = meter->RestoreBucket(bucket); !s.ok())
      spdlog::warn("energy of district {}: {}", bucket.district, std::string(s.message()));
  }

  // Everything built: swap in (the planner points at the new city).
  planner_.reset();
  commands_ = std::move(commands);
  tracker_ = std::move(tracker);
  meter_ = std::move(meter);
  city_ = std::move(owned_city);
  planner_.emplace(std::move(*planner));
  next_override_number_ = schedule.last_override_number;
  auto ids = std::make_shared<std::unordered_set<std::string>>();
  for (PointIndex p = 0; p < city_->point_count(); ++p) ids->insert(city_->point_id(p));
  point_ids_ = std::move(ids);
  light_points_.Set(static_cast<double>(city_->point_count()));
  assets_changed_.reset();
  return absl::OkStatus();
}

void LightingDesk::ReloadAfterFailure() {
  failures_.Increment();
  if (auto s = LoadLocked(); !s.ok()) spdlog::error("lighting state reload failed: {}", s.ToString());
}

std::shared_ptr<const std::unordered_set<std::string>> LightingDesk::PointIds() {
  std::lock_guard lock(mutex_);
  return point_ids_;
}

// ---------------------------------------------------------------- assets

absl::StatusOr<size_t> LightingDesk::Apply(const std::vector<common::ConsumedMessage>& messages) {
  std::vector<store::PointRow> rows;
  common::RejectedMessages rejected;
  for (const auto& m : messages) {
    tv1::AssetEvent event;
    if (m.topic != assets_topic_) {
      rejected.Add(m, "unexpected topic");
      continue;
    }
    if (m.value.empty()) continue;  // a compacted key's tombstone
    if (!event.ParseFromString(m.value)) {
      rejected.Add(m, "undecodable asset event");
      continue;
    }
    const tv1::Asset& asset = event.asset();
    if (asset.kind() != tv1::ASSET_KIND_LIGHT_POINT) continue;
    if (asset.parent_id().empty()) {
      rejected.Add(m, "light point without a cabinet");
      continue;
    }
    store::PointRow row;
    row.point.id = asset.id();
    row.point.cabinet_id = asset.parent_id();
    row.point.district = asset.district();
    if (auto street = asset.attributes().find("street"); street != asset.attributes().end()) {
      row.point.street = street->second;
    }
    if (auto road_class = asset.attributes().find("road_class"); road_class != asset.attributes().end()) {
      row.point.road_class = road_class->second;
    }
    row.point.rated_w = asset.rated_watts();
    row.point.baseline_w = asset.baseline_watts();
    row.retired = asset.retired() || event.change() == tv1::ASSET_CHANGE_RETIRED;
    row.version = asset.version();
    rows.push_back(std::move(row));
  }
  if (rows.empty() && rejected.empty()) return size_t{0};
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    rejected.SetAside(tx);
    store::UpsertPoints(tx, rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  rejected.Log();
  for (const auto& [message, reason] : rejected.items()) set_aside_.Add({{"reason", reason}}).Increment();
  if (!rows.empty()) {
    std::lock_guard lock(mutex_);
    assets_changed_ = std::chrono::steady_clock::now();
  }
  return rows.size();
}

std::vector<v1::LightingCommand> LightingDesk::CurrentCommands() {
  std::lock_guard lock(mutex_);
  std::vector<v1::LightingCommand> out;
  if (!city_) return out;
  const auto& levels = commands_->commanded_levels();
  const TimePoint now = clock_.Now();
  for (SectionIndex s = 0; s < city_->section_count(); ++s) {
    const CityIndex::Section& section = city_->section(s);
    if (section.begin == section.end) continue;
    v1::LightingCommand command;
    command.mutable_meta()->set_event_id(absl::StrCat("state-", s));
    *command.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(now);
    command.mutable_meta()->set_producer(kProducer);
    command.set_cabinet_id(city_->cabinet_id(s));
    command.set_district(city_->district(section.district).number);
    const uint8_t first = levels[section.begin];
    const bool uniform = std::all_of(levels.begin() + section.begin, levels.begin() + section.end,
                                     [&](uint8_t l) { return l == first; });
    if (uniform && first != kNoLevel) {
      command.set_cabinet_level(first);
      command.set_point_count(static_cast<int>(section.end - section.begin));
    } else {
      for (PointIndex p = section.begin; p < section.end; ++p) {
        if (levels[p] == kNoLevel) continue;
        auto* point = command.add_points();
        point->set_point_id(city_->point_id(p));
        point->set_level(levels[p]);
      }
      command.set_point_count(command.points_size());
      if (command.points_size() == 0) continue;
    }
    out.push_back(std::move(command));
  }
  return out;
}

// ---------------------------------------------------------------- readings

absl::StatusOr<size_t> LightingDesk::ApplyReadings(const std::vector<PointReading>& readings) {
  std::lock_guard lock(mutex_);
  if (!city_) return size_t{0};
  std::vector<std::string> confirmed;
  std::vector<store::MeterRow> meters;
  std::set<PointIndex> metered;
  size_t used = 0, levels = 0, powers = 0;
  for (const auto& r : readings) {
    const auto p = city_->FindPoint(r.point_id);
    if (!p) continue;
    if (r.is_level) {
      const bool was_confirmed = tracker_->confirmed(*p);
      const bool was_reported = tracker_->reported(*p);
      tracker_->OnReading(*p, r.value, r.at);
      if (tracker_->confirmed(*p) && !was_confirmed) {
        confirmed.push_back(r.point_id);
        if (was_reported) {
          pending_reports_.push_back({r.point_id, true, "back at its commanded level", r.at});
        }
      }
      ++levels;
      ++used;
    } else if (meter_->OnPower(*p, r.at, r.value)) {
      metered.insert(*p);
      ++powers;
      ++used;
    }
  }
  for (PointIndex p : metered) {
    if (const auto last = meter_->LastOf(p)) meters.push_back({city_->point_id(p), last->at, last->watts});
  }
  const auto changed_days = meter_->TakeChanged();
  if (confirmed.empty() && meters.empty() && changed_days.empty()) return used;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    store::SetConfirmed(tx, confirmed);
    store::SaveMeters(tx, meters);
    store::SaveEnergy(tx, changed_days);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    ReloadAfterFailure();
    return status;
  }
  readings_.Add({{"metric", "level_pct"}}).Increment(static_cast<double>(levels));
  readings_.Add({{"metric", "power_w"}}).Increment(static_cast<double>(powers));
  return used;
}

// ---------------------------------------------------------------- planning

absl::Status LightingDesk::PlanAndCommand(TimePoint now) {
  if (!planner_ || city_->point_count() == 0) return absl::OkStatus();
  const auto started = std::chrono::steady_clock::now();
  planner_->ForgetExpired(now);
  planner_->Plan(now, levels_);
  commands_->Diff(levels_, batch_);
  planning_.Observe(Seconds(std::chrono::steady_clock::now() - started));
  if (batch_.empty()) return absl::OkStatus();

  std::vector<std::string> point_ids, keys, values;
  std::vector<int> point_levels;
  std::vector<v1::LightingCommand> events;
  const std::string stamp =
      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  for (const SectionCommand& c : batch_.commands) {
    const CityIndex::Section& section = city_->section(c.section);
    v1::LightingCommand& command = events.emplace_back();
    command.mutable_meta()->set_event_id(absl::StrCat("cmd-", stamp, "-", ++command_sequence_));
    *command.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(now);
    command.mutable_meta()->set_producer(kProducer);
    command.set_cabinet_id(city_->cabinet_id(c.section));
    command.set_district(city_->district(section.district).number);
    if (c.whole_section) {
      command.set_cabinet_level(c.level);
      command.set_point_count(static_cast<int>(section.end - section.begin));
      for (PointIndex p = section.begin; p < section.end; ++p) {
        point_ids.push_back(city_->point_id(p));
        point_levels.push_back(c.level);
      }
    } else {
      for (const PointLevel& pl : batch_.PointsOf(c)) {
        auto* out = command.add_points();
        out->set_point_id(city_->point_id(pl.point));
        out->set_level(pl.level);
        point_ids.push_back(city_->point_id(pl.point));
        point_levels.push_back(pl.level);
      }
      command.set_point_count(static_cast<int>(c.count));
    }
    keys.push_back(command.cabinet_id());
    values.push_back(command.SerializeAsString());
  }
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    store::SaveCommanded(tx, point_ids, point_levels, now);
    common::Outbox::EnqueueMany(tx, topics::kLightingCommands, keys, values);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    ReloadAfterFailure();  // the commanded levels come back from storage: the next tick sends them again
    return status;
  }
  tracker_->OnCommands(batch_, now);
  for (const SectionCommand& c : batch_.commands) {
    if (c.whole_section) {
      const CityIndex::Section& section = city_->section(c.section);
      for (PointIndex p = section.begin; p < section.end; ++p) meter_->OnCommanded(p, now, c.level);
    } else {
      for (const PointLevel& pl : batch_.PointsOf(c)) meter_->OnCommanded(pl.point, now, pl.level);
    }
  }
  commands_sent_.Increment(static_cast<double>(events.size()));
  points_commanded_.Increment(static_cast<double>(point_ids.size()));
  feed_.Publish(events);
  return absl::OkStatus();
}

absl::Status LightingDesk::Tick() {
  absl::Status result;
  {
    std::lock_guard lock(mutex_);
    if (assets_changed_ && std::chrono::steady_clock::now() - *assets_changed_ >= rebuild_quiet_) {
      if (auto s = LoadLocked(); !s.ok()) return s;
      spdlog::info("city rebuilt: {} light points on {} cabinets", city_->point_count(), city_->cabinet_count());
    }
    const TimePoint now = clock_.Now();
    result = PlanAndCommand(now);
    if (tracker_) {
      std::vector<NotApplied> missed;
      tracker_->Check(now, missed);
      for (const auto& m : missed) {
        pending_reports_.push_back(
            {city_->point_id(m.point), false,
             absl::StrCat("commanded ", static_cast<int>(m.commanded), "% at ", common::ToPgTimestamp(m.since),
                          m.last_reading ? absl::StrCat(", last read ", *m.last_reading, "%") : ", no reading since"),
             now});
      }
      if (pending_reports_.size() > kMaxPendingReports) {
        spdlog::error("{} fault reports pending: dropping the oldest", pending_reports_.size());
        pending_reports_.erase(
            pending_reports_.begin(),
            pending_reports_.begin() + static_cast<std::ptrdiff_t>(pending_reports_.size() - kMaxPendingReports));
      }
      UpdateGauges(now);
    }
  }
  SendReports();
  return result;
}

void LightingDesk::SendReports() {
  std::vector<PendingReport> reports;
  {
    std::lock_guard lock(mutex_);
    reports.swap(pending_reports_);
  }
  if (reports.empty()) return;
  std::vector<PendingReport> failed;
  std::vector<std::string> raised, cleared;
  for (auto& r : reports) {
    if (!failed.empty()) {  // ingest is not answering: keep the rest for the next tick
      failed.push_back(std::move(r));
      continue;
    }
    if (auto s = faults_.Report(r.point_id, r.cleared, r.detail, r.at); !s.ok()) {
      report_failures_.Increment();
      spdlog::warn("{}", std::string(s.message()));
      failed.push_back(std::move(r));
      continue;
    }
    faults_reported_.Add({{"state", r.cleared ? "cleared" : "raised"}}).Increment();
    (r.cleared ? cleared : raised).push_back(r.point_id);
  }
  std::lock_guard lock(mutex_);
  pending_reports_.insert(pending_reports_.begin(), std::make_move_iterator(failed.begin()),
                          std::make_move_iterator(failed.end()));
  const TimePoint now = clock_.Now();
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    store::SetReported(tx, raised, now);
    store::SetReported(tx, cleared, std::nullopt);
    return absl::OkStatus();
  });
  if (!status.ok()) spdlog::warn("recording fault reports: {}", status.ToString());
}

void LightingDesk::UpdateGauges(TimePoint now) {
  not_at_level_.Set(static_cast<double>(tracker_->not_at_level()));
  if (std::chrono::steady_clock::now() < next_energy_gauge_) return;
  next_energy_gauge_ = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const CivilDate today = LocalDate(now, config_.local_time);
  for (DistrictSlot d = 0; d < city_->district_count(); ++d) {
    const int district = city_->district(d).number;
    const DistrictDayEnergy report = meter_->Report(district, today);
    energy_today_.Add({{"district", std::to_string(district)}}).Set(report.energy.total_wh());
  }
}

// ---------------------------------------------------------------- operators' changes

absl::Status LightingDesk::Execute(const Change& change) {
  std::lock_guard lock(mutex_);
  if (!planner_) return absl::UnavailableError("lighting control is loading");
  Context context{*planner_, *city_, clock_.Now(), {}, next_override_number_};
  const int64_t numbers_before = next_override_number_;
  if (auto s = change(context); !s.ok()) {
    next_override_number_ = numbers_before;
    return s;
  }
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& write : context.writes) write(tx);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    ReloadAfterFailure();
    return status;
  }
  // The change shows in the field now, not at the next tick.
  if (auto s = PlanAndCommand(context.now); !s.ok()) spdlog::warn("planning after a change: {}", s.ToString());
  return absl::OkStatus();
}

}  // namespace cityops::lighting
