#include "simulation.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cityops/common/proto_time.h"
#include "random.h"
#include "schedule.h"
#include "telemetry_model.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

// Mixed into the seed for the readings' values (the city's own draws stay apart).
constexpr uint64_t kReadingsSalt = 0xa0761d6478bd642fULL;
// The loop wakes at least this often (to notice a stop) and at most this often (to batch).
constexpr auto kMaxSleep = std::chrono::milliseconds(200);
constexpr auto kMinTick = std::chrono::milliseconds(50);

std::string Seconds(std::chrono::milliseconds t) {
  const double s = static_cast<double>(t.count()) / 1000.0;
  return t.count() % 1000 == 0 ? absl::StrCat(t.count() / 1000) : absl::StrFormat("%.1f", s);
}

std::string FaultLabel(v1::FaultType type) {
  std::string name = v1::FaultType_Name(type);
  const std::string prefix = "FAULT_TYPE_";
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return name;
}

std::string KindLabel(v1::AssetKind kind) {
  std::string name = v1::AssetKind_Name(kind);
  const std::string prefix = "ASSET_KIND_";
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return name;
}

}  // namespace

Simulation::Simulation(const City& city, const Scenario& scenario, IngestClient& client, ReadingStreamer& streamer,
                       const FaultWatcher* watcher, const common::Clock& clock, SimulationSettings settings,
                       Print print)
    : city_(city),
      scenario_(scenario),
      client_(client),
      streamer_(streamer),
      watcher_(watcher),
      clock_(clock),
      settings_(settings),
      print_(std::move(print)),
      silenced_(city.size(), false),
      ramp_past_(scenario.ramps.size(), false) {
  for (size_t i = 0; i < scenario.ramps.size(); ++i) ramps_of_asset_[scenario.ramps[i].asset].push_back(i);
}

void Simulation::OnWorkOrderCompleted(const dispatch::v1::WorkOrder& order) {
  Repair repair;
  repair.order_id = order.id();
  repair.crew_id = order.crew_id();
  repair.incident_id = order.incident_id();
  if (watcher_ != nullptr && !order.incident_id().empty())
    repair.incident_asset = watcher_->AssetOfIncident(order.incident_id());
  if (order.has_location()) repair.where = std::make_pair(order.location().lat(), order.location().lon());
  std::lock_guard lock(repairs_mutex_);
  repairs_.push_back(std::move(repair));
}

absl::Status Simulation::Run(const std::atomic<bool>& stop) {
  if (auto s = client_.WaitConnected(settings_.connect_timeout, stop); !s.ok()) return s;
  if (stop.load()) return absl::OkStatus();

  const auto register_started = std::chrono::steady_clock::now();
  auto summary = client_.RegisterCity(city_, 5000, stop);
  if (summary.status().code() == absl::StatusCode::kAlreadyExists) {
    // The registry holds a city generated otherwise (another seed or scale,
    // or an earlier version of the simulator): say how to start afresh.
    return absl::AlreadyExistsError(absl::StrCat(
        summary.status().message(),
        ". The registry holds a city generated differently (another --seed or --scale, or an earlier version of "
        "the simulator); start from an empty state with: deploy/local/stack.sh reset"));
  }
  if (!summary.ok()) return summary.status();
  const auto register_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - register_started)
          .count();
  print_(absl::StrCat("registered the city: ", city_.size(), " assets in ", summary->calls, " call(s), ",
                      summary->registered, " new, ", summary->unchanged, " unchanged (", register_ms, " ms)"));
  if (settings_.register_only) return absl::OkStatus();
  streamer_.Start();

  std::vector<int> intervals;
  intervals.reserve(city_.size());
  for (const auto& asset : city_.assets()) intervals.push_back(asset.reporting_interval_s);
  // A scenario may cap the readings' speed-up (calls-day at --speed 500).
  const double readings_speed = scenario_.readings_speed > 0 ? scenario_.readings_speed : settings_.speed;
  ReadingSchedule schedule(intervals, readings_speed);
  SimRng rng(city_.params().seed ^ kReadingsSalt);

  print_(absl::StrCat(
      "streaming readings", settings_.speed > 1 ? absl::StrCat(" ", settings_.speed, "x faster than real time") : "",
      readings_speed < settings_.speed ? absl::StrCat(" (the readings only ", readings_speed, "x)") : "",
      "; scenario: ", scenario_.name,
      scenario_.description.empty() ? "" : absl::StrCat(" (", scenario_.description, ")"),
      scenario_.end.count() > 0 ? absl::StrCat(", over after ", Seconds(scenario_.end), " s",
                                               settings_.stop_at_end ? " (the simulator then stops)" : "")
                                : ""));
  for (const auto& note : scenario_.notes) print_(absl::StrCat("  at +", Seconds(note.at), " s: ", note.text));

  const auto start = std::chrono::steady_clock::now();
  if (settings_.calls != nullptr) settings_.calls->Start(start);
  auto next_log = start + settings_.log_every;
  size_t next_step = 0;
  size_t next_note = 0;
  uint64_t batch_id = 0;
  std::vector<size_t> due;
  std::vector<size_t> changed;
  std::vector<MetricValue> samples;
  v1::ReadingBatch batch;
  const auto flush = [&] {
    if (batch.readings_size() == 0) return;
    batch.set_batch_id(++batch_id);
    streamer_.Send(std::move(batch));
    batch = v1::ReadingBatch();
  };

  while (!stop.load()) {
    const auto tick = std::chrono::steady_clock::now();
    const auto elapsed = tick - start;
    const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
    while (next_note < scenario_.notes.size() && elapsed >= scenario_.notes[next_note].at) {
      print_(absl::StrCat("scenario ", scenario_.name, ": ", scenario_.notes[next_note++].text));
    }
    while (next_step < scenario_.steps.size() && elapsed >= scenario_.steps[next_step].at) {
      const ScenarioStep& step = scenario_.steps[next_step++];
      if (step.children_only) {
        if (open_.count(step.fault_id) != 0) ApplyStep(step);
      } else if (!step.cleared) {
        ApplyStep(step);
        open_.insert(step.fault_id);
      } else if (open_.erase(step.fault_id) != 0) {
        ApplyStep(step, step.until_repaired ? "not repaired within its maximum duration" : "");
      }
    }
    ApplyRepairs();
    CheckRamps(elapsed_ms);
    // Over once its duration has passed and no fault still waits for a crew
    // (those end at their maximum duration at worst).
    const bool awaiting_repair = std::any_of(open_.begin(), open_.end(), [&](size_t id) {
      return scenario_.steps[scenario_.raise_step[id]].until_repaired;
    });
    if (scenario_.end.count() > 0 && elapsed >= scenario_.end && !awaiting_repair && !ended_.load()) {
      ended_ = true;
      print_(absl::StrCat("scenario ", scenario_.name, " is over (+", Seconds(elapsed_ms), " s)",
                          open_.empty() ? "" : absl::StrCat("; ", open_.size(), " fault(s) still open")));
      ended_at_ = tick;
    }
    if (ended_.load() && settings_.stop_at_end) {
      const bool settled = !settings_.settled || settings_.settled();
      if (settled) break;
      if (tick - ended_at_ >= settings_.settle_max) {
        print_(absl::StrCat("the platform has not settled ",
                            std::chrono::duration_cast<std::chrono::seconds>(settings_.settle_max).count(),
                            " s after the scenario: stopping anyway"));
        break;
      }
    }

    due.clear();
    schedule.TakeDue(std::chrono::duration_cast<ReadingSchedule::Duration>(elapsed), due);
    // Light points report a new commanded level at once (the periodic reading comes as well).
    if (settings_.field != nullptr) {
      settings_.field->TakeChanged(changed);
      due.insert(due.end(), changed.begin(), changed.end());
    }
    const common::TimePoint now = clock_.Now();
    const google::protobuf::Timestamp stamp = common::ToProtoTime(now);
    for (const size_t index : due) {
      if (silenced_[index]) continue;
      const CityAsset& asset = city_.at(index);
      samples.clear();
      SampleReadings(asset, now, rng, samples,
                     settings_.field != nullptr ? settings_.field->LevelOf(index) : std::nullopt);
      if (const auto ramps = ramps_of_asset_.find(index); ramps != ramps_of_asset_.end()) {
        for (const size_t r : ramps->second) {
          const PlannedRamp& ramp = scenario_.ramps[r];
          const auto value = ramp.ValueAt(elapsed_ms);
          if (!value) continue;
          for (auto& sample : samples) {
            if (sample.metric == ramp.metric) sample.value = *value;
          }
        }
      }
      for (const auto& sample : samples) {
        v1::Reading* reading = batch.add_readings();
        reading->set_asset_id(asset.id);
        *reading->mutable_time() = stamp;
        reading->set_metric(std::string(sample.metric));
        reading->set_value(sample.value);
        if (static_cast<size_t>(batch.readings_size()) >= settings_.batch_max) flush();
      }
      if (settings_.tracks != nullptr && asset.kind == v1::ASSET_KIND_CREW_VEHICLE) {
        if (const auto fix = settings_.tracks->Where(asset.id, tick)) {
          v1::Reading* reading = batch.add_readings();
          reading->set_asset_id(asset.id);
          *reading->mutable_time() = stamp;
          reading->set_metric("position");
          reading->set_value(fix->speed_kmh);
          reading->mutable_location()->set_lat(fix->lat);
          reading->mutable_location()->set_lon(fix->lon);
          if (static_cast<size_t>(batch.readings_size()) >= settings_.batch_max) flush();
        }
      }
    }
    flush();

    if (tick >= next_log) {
      LogProgress(elapsed);
      next_log += settings_.log_every;
    }

    // Sleep until the next thing to do, in ticks of 50..200 ms.
    auto wake = tick + kMaxSleep;
    const auto next_due = schedule.NextDue();
    if (next_due != ReadingSchedule::Duration::max()) {
      wake = std::min(wake, start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(next_due));
    }
    if (next_step < scenario_.steps.size()) wake = std::min(wake, start + scenario_.steps[next_step].at);
    if (next_note < scenario_.notes.size()) wake = std::min(wake, start + scenario_.notes[next_note].at);
    if (scenario_.end.count() > 0 && !ended_.load()) wake = std::min(wake, start + scenario_.end);
    wake = std::max(std::min(wake, next_log), tick + kMinTick);
    std::this_thread::sleep_until(wake);
  }

  ClearOpen(stop.load() ? "stopping" : "the scenario is over");
  return absl::OkStatus();
}

void Simulation::ClearOpen(const std::string& why) {
  for (const size_t id : open_) {
    ScenarioStep clear = scenario_.steps[scenario_.raise_step[id]];
    clear.cleared = true;
    clear.detail = absl::StrCat("city-sim: ", why, ", fault cleared");
    ApplyStep(clear, why);
  }
  open_.clear();
  for (size_t i = 0; i < scenario_.ramps.size(); ++i) {
    if (!ramp_past_[i]) continue;
    const PlannedRamp& ramp = scenario_.ramps[i];
    v1::FaultReport report;
    report.set_asset_id(city_.at(ramp.asset).id);
    report.set_type(ramp.fault);
    *report.mutable_time() = common::ToProtoTime(clock_.Now());
    report.set_cleared(true);
    report.set_detail(absl::StrCat("city-sim: ", why, ", fault cleared"));
    const absl::Status status = client_.ReportFault(report);
    ramp_past_[i] = false;
    print_(absl::StrCat("scenario ", scenario_.name, ": ", city_.at(ramp.asset).id, " reports ", FaultLabel(ramp.fault),
                        " CLEARED (", why, ")",
                        status.ok() ? "" : absl::StrCat(" [ReportFault failed: ", status.ToString(), "]")));
  }
}

void Simulation::ApplyRepairs() {
  std::vector<Repair> repairs;
  {
    std::lock_guard lock(repairs_mutex_);
    repairs.swap(repairs_);
  }
  for (const auto& repair : repairs) {
    const auto id = FindRepaired(city_, scenario_, open_, repair.incident_asset, repair.where);
    if (!id) {
      spdlog::debug("work order {} ({}) completed: no open fault of the scenario there", repair.order_id,
                    repair.incident_id);
      continue;
    }
    ScenarioStep clear = scenario_.steps[scenario_.raise_step[*id]];
    clear.cleared = true;
    clear.detail = absl::StrCat("city-sim: repaired by ", repair.crew_id, " (work order ", repair.order_id, ")");
    open_.erase(*id);
    ApplyStep(clear, absl::StrCat("repaired by ", repair.crew_id, ", work order ", repair.order_id));
  }
}

void Simulation::CheckRamps(std::chrono::milliseconds elapsed) {
  for (size_t i = 0; i < scenario_.ramps.size(); ++i) {
    const PlannedRamp& ramp = scenario_.ramps[i];
    if (!ramp.mark || ramp.fault == v1::FAULT_TYPE_UNSPECIFIED) continue;
    const auto value = ramp.ValueAt(elapsed);
    const bool past = value && ramp.Past(*value);
    if (past == ramp_past_[i]) continue;
    ramp_past_[i] = past;
    const CityAsset& asset = city_.at(ramp.asset);
    v1::FaultReport report;
    report.set_asset_id(asset.id);
    report.set_type(ramp.fault);
    *report.mutable_time() = common::ToProtoTime(clock_.Now());
    report.set_cleared(!past);
    const std::string reading = absl::StrCat(ramp.metric, " ", value ? *value : ramp.from);
    report.set_detail(absl::StrCat("city-sim: ", ramp.detail.empty() ? FaultLabel(ramp.fault) : ramp.detail, " (",
                                   reading, past ? ", past " : ", back from ", *ramp.mark, ")"));
    const absl::Status status = client_.ReportFault(report);
    std::string where;
    for (const char* key : {kAttrRiver, kAttrRiverKm, kAttrRoad}) {
      if (const auto it = asset.attributes.find(key); it != asset.attributes.end()) {
        absl::StrAppend(&where, " ", key, "=", it->second);
      }
    }
    print_(absl::StrCat("scenario ", scenario_.name, ": ", asset.id, " (", KindLabel(asset.kind), ", district ",
                        asset.district, where, ") reports ", FaultLabel(ramp.fault), past ? "" : " CLEARED", ": ",
                        reading, status.ok() ? "" : absl::StrCat(" [ReportFault failed: ", status.ToString(), "]")));
  }
}

void Simulation::ApplyStep(const ScenarioStep& step, const std::string& why) {
  const auto report = [&](const std::string& asset_id, v1::FaultType type, const std::string& detail) {
    v1::FaultReport fault;
    fault.set_asset_id(asset_id);
    fault.set_type(type);
    *fault.mutable_time() = common::ToProtoTime(clock_.Now());
    fault.set_cleared(step.cleared);
    fault.set_detail(detail.substr(0, 512));
    return client_.ReportFault(fault);
  };
  // A raise reports the fault itself (its children later, in a step of
  // their own, when they report after it); a clear reports both, the
  // children only if they had reported.
  absl::Status status;
  if (!step.children_only) status = report(step.asset_id, step.fault, step.detail);
  bool children_report = false;
  if (step.cleared) {
    children_report = children_raised_.erase(step.fault_id) != 0;
  } else {
    const bool later = std::any_of(scenario_.steps.begin(), scenario_.steps.end(), [&](const ScenarioStep& s) {
      return s.children_only && s.fault_id == step.fault_id;
    });
    children_report = !step.reporting_children.empty() && (step.children_only || !later);
    if (children_report) children_raised_.insert(step.fault_id);
  }
  size_t children_failed = 0;
  static const std::vector<size_t> kNone;
  for (const size_t child : children_report ? step.reporting_children : kNone) {
    if (!report(city_.at(child).id, step.children_fault, step.cleared ? step.detail : step.children_detail).ok()) {
      ++children_failed;
    }
  }
  for (const size_t index : step.affected) silenced_[index] = !step.cleared;

  const int64_t index = city_.IndexOf(step.asset_id);
  const std::string kind = index < 0 ? "?" : KindLabel(city_.at(static_cast<size_t>(index)).kind);
  const int district = index < 0 ? 0 : city_.at(static_cast<size_t>(index)).district;
  std::string line = absl::StrCat("scenario ", scenario_.name, ": ", step.asset_id, " (", kind, ", district ", district,
                                  ") reports ", FaultLabel(step.fault), step.cleared ? " CLEARED" : "");
  if (step.children_only) {
    line = absl::StrCat("scenario ", scenario_.name, ": the ", step.reporting_children.size(), " child(ren) of ",
                        step.asset_id, " report ", FaultLabel(step.children_fault), " (", step.children_detail, ")");
  } else if (children_report) {
    absl::StrAppend(&line, "; ", step.reporting_children.size(), " child(ren) report ", FaultLabel(step.children_fault),
                    step.cleared ? " CLEARED" : "");
  }
  if (!why.empty()) absl::StrAppend(&line, " (", why, ")");
  if (!step.affected.empty()) {
    absl::StrAppend(&line, "; ", step.affected.size(), " asset(s) ", step.cleared ? "report again" : "stop reporting");
  }
  if (!step.cleared && !step.children_only && step.until_repaired) absl::StrAppend(&line, "; until a crew repairs it");
  if (!status.ok()) absl::StrAppend(&line, " [ReportFault failed: ", status.ToString(), "]");
  if (children_failed > 0) absl::StrAppend(&line, " [", children_failed, " children's ReportFault failed]");
  print_(line);
}

void Simulation::LogProgress(std::chrono::steady_clock::duration since_start) {
  const StreamStats s = streamer_.stats();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_start).count();
  std::string line =
      absl::StrCat("+", seconds, " s: readings sent ", s.readings_sent, " (+", s.readings_sent - last_sent_,
                   "), acked ", s.readings_acked, ", rejected ", s.readings_rejected, ", failed ", s.readings_failed,
                   ", dropped ", s.readings_dropped, ", stream restarts ", s.stream_restarts);
  if (watcher_ != nullptr) {
    absl::StrAppend(&line, "; faults seen: ", watcher_->raised(), " raised, ", watcher_->cleared(), " cleared; ",
                    watcher_->incidents_opened(), " incident(s) opened");
  }
  if (settings_.field != nullptr) {
    absl::StrAppend(&line, "; lighting commands applied ", settings_.field->commands_applied(), ", light points at ",
                    settings_.field->points_changed(), " new level(s)");
  }
  if (settings_.calls != nullptr) {
    const CallStats c = settings_.calls->stats();
    absl::StrAppend(&line, "; calls sent ", c.sent, ", rejected ", c.rejected, ", failed ", c.failed, ", linked ",
                    c.linked, ", closed ", c.closed);
  }
  if (!s.last_error.empty() && s.last_error != last_error_) absl::StrAppend(&line, "; last error: ", s.last_error);
  last_error_ = s.last_error;
  last_sent_ = s.readings_sent;
  print_(line);
}

}  // namespace cityops::sim
