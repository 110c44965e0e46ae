#include "simulation.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
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
      silenced_(city.size(), false) {}

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
  ReadingSchedule schedule(intervals, settings_.speed);
  SimRng rng(city_.params().seed ^ kReadingsSalt);

  print_(absl::StrCat("streaming readings",
                      settings_.speed > 1 ? absl::StrCat(" ", settings_.speed, "x faster than real time") : "",
                      "; scenario: ", scenario_.name));
  for (const auto& step : scenario_.steps) {
    print_(absl::StrCat("  at +", std::chrono::duration_cast<std::chrono::seconds>(step.at).count(), " s: ",
                        step.asset_id, " reports ", v1::FaultType_Name(step.fault), step.cleared ? " cleared" : ""));
  }

  const auto start = std::chrono::steady_clock::now();
  if (settings_.calls != nullptr) settings_.calls->Start(start);
  auto next_log = start + settings_.log_every;
  size_t next_step = 0;
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
    while (next_step < scenario_.steps.size() && elapsed >= scenario_.steps[next_step].at) {
      ApplyStep(scenario_.steps[next_step++]);
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
    wake = std::max(std::min(wake, next_log), tick + kMinTick);
    std::this_thread::sleep_until(wake);
  }

  if (open_fault_ != nullptr) {
    ScenarioStep clear = *open_fault_;
    clear.cleared = true;
    clear.detail = "city-sim: stopping, fault cleared";
    print_(absl::StrCat("stopping: clearing the scenario's fault on ", clear.asset_id));
    ApplyStep(clear);
  }
  return absl::OkStatus();
}

void Simulation::ApplyStep(const ScenarioStep& step) {
  v1::FaultReport report;
  report.set_asset_id(step.asset_id);
  report.set_type(step.fault);
  *report.mutable_time() = common::ToProtoTime(clock_.Now());
  report.set_cleared(step.cleared);
  report.set_detail(step.detail);
  const absl::Status status = client_.ReportFault(report);
  for (const size_t index : step.affected) silenced_[index] = !step.cleared;
  open_fault_ = step.cleared ? nullptr : &step;

  const int64_t index = city_.IndexOf(step.asset_id);
  const std::string kind = index < 0 ? "?" : KindLabel(city_.at(static_cast<size_t>(index)).kind);
  const int district = index < 0 ? 0 : city_.at(static_cast<size_t>(index)).district;
  print_(absl::StrCat("scenario ", scenario_.name, ": ", step.asset_id, " (", kind, ", district ", district,
                      ") reports ", v1::FaultType_Name(step.fault), step.cleared ? " CLEARED" : "", "; ",
                      step.affected.size(), " asset(s) ", step.cleared ? "report again" : "stop reporting",
                      status.ok() ? "" : absl::StrCat(" [ReportFault failed: ", status.ToString(), "]")));
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
