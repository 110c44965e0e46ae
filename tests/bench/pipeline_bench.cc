// pipeline_bench: fault to crew assigned, end to end, through
// incident-correlation and crew-dispatch running together on a city ten times
// Dijon.
//
// It needs the local stack (CITYOPS_KAFKA_BOOTSTRAP, CITYOPS_PG_ADMIN_DSN;
// CITYOPS_INCIDENT_CORRELATION_PG_DSN and CITYOPS_CREW_DISPATCH_PG_DSN when
// the stack has the services' roles) and both built service binaries. Each
// service gets a fresh schema of its own; both share one fresh topic prefix,
// so correlation's incident events are dispatch's input and dispatch's
// assignment events come back to correlation, as in production. Then:
//   topology: the simulator's city (city_sim_lib, --scale times Dijon) goes
//            onto the assets topic as AssetEvents, until correlation's
//            topology table holds all of it (as correlation_bench does);
//   crews:   the simulator's crews (one per crew vehicle: 2,050 at ten times)
//            created in crew-dispatch over gRPC, available (as dispatch_bench);
//   warm-up: one fault on a bus (no bus is in the storm), waited for until its
//            order's ASSIGNED event came back (both consumers joined);
//   storm:   correlation_bench's storm mix (cabinets losing power, access-point
//            sites going down, single-asset faults; every fault later
//            cleared) at its rate (--rate, 50 fault events/s per Dijon, so 500
//            at ten times) for --duration seconds, then the clearings still
//            due; each fault event stamped with its send time.
// The bench reads the incidents topic and the assignments topic. For each
// work order's first ASSIGNED event it finds the incident event that created
// the order (the CREATED event's cause_event_id) and, among that OPENED (or
// REOPENED) event's causes, the earliest fault the bench sent:
//   end to end = ASSIGNED received - that fault sent      (one steady clock)
//   stage 1    = incident event received - that fault sent
//   stage 2    = ASSIGNED received - incident event received
// so that stage 1 + stage 2 = end to end for every order, and the p99s of the
// stages can be set beside the p99 of the whole. The bench also plays the
// crews' app (accept, arrive, complete over gRPC after a compressed job,
// --job-s) so crews free up. Figures, both services' memory (VmHWM) and CPU
// go to a JSON file and a table.
//
// Usage: pipeline_bench [--json FILE] [--scale X] [--rate N] [--duration S] [--job-s S]
//          [--seed N] [--drain-timeout S] [--correlation-binary PATH] [--dispatch-binary PATH]
//          [--topics-file PATH] [--service-log PREFIX] [--service-log-level L]
//          [--service-arg ARG]... [--keep]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "bench_support.h"
#include "city.h"
#include "cityops/common/kafka.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "crew_player.h"
#include "crews.h"
#include "storm.h"

namespace {

using namespace cityops::bench;  // NOLINT(google-build-using-namespace): the bench's own toolbox
namespace dv1 = cityops::dispatch::v1;
namespace iv1 = cityops::incidents::v1;
namespace tv1 = cityops::telemetry::v1;
namespace common = cityops::common;
namespace sim = cityops::sim;
namespace topics = cityops::topics;

#ifndef CITYOPS_BENCH_TOPICS_FILE
#define CITYOPS_BENCH_TOPICS_FILE "deploy/topics.json"
#endif
#ifndef CITYOPS_BENCH_CORRELATION_BINARY
#define CITYOPS_BENCH_CORRELATION_BINARY "incident-correlation"
#endif
#ifndef CITYOPS_BENCH_DISPATCH_BINARY
#define CITYOPS_BENCH_DISPATCH_BINARY "crew-dispatch"
#endif

// The quality bars of the brief.
constexpr double kBarEndToEndP99Ms = 500.0;
constexpr double kBarFaultToIncidentP99Ms = 250.0;
constexpr double kBarRssMb = 100.0;  // each service, at Dijon scale

// The load is correlation_bench's (storm.h, kDijonStormEventsPerS): a severe
// storm at its height (see tests/bench/README.md), in which Dijon would see 50
// fault events/s, raised and cleared together, so 500/s at ten times Dijon.

const std::string kCorrelationMetric = "cityops_incident_correlation_";
// The producer named in the events the bench writes.
const std::string kProducer = "pipeline-bench";

// ------------------------------------------------------------------ options

struct Options : CommonOptions {
  Options() {
    service_binary = CITYOPS_BENCH_CORRELATION_BINARY;
    topics_file = CITYOPS_BENCH_TOPICS_FILE;
  }
  std::string correlation_binary = CITYOPS_BENCH_CORRELATION_BINARY;
  std::string dispatch_binary = CITYOPS_BENCH_DISPATCH_BINARY;
  double scale = 10;
  std::optional<double> rate;  // fault events/s during the storm; default kDijonStormEventsPerS * scale
  int duration_s = 60;
  double job_s = 20;
  uint64_t seed = 1;
  int drain_timeout_s = 240;

  double Rate() const { return rate.value_or(kDijonStormEventsPerS * scale); }
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "pipeline_bench: " << problem << "\n"
            << "usage: pipeline_bench [--json FILE] [--scale X] [--rate N] [--duration S] [--job-s S]\n"
            << "         [--seed N] [--drain-timeout S] [--correlation-binary PATH] [--dispatch-binary PATH]\n"
            << "         [--topics-file PATH] [--service-log PREFIX] [--service-log-level LEVEL]\n"
            << "         [--service-arg ARG]... [--keep]\n"
            << "needs CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN (deploy/local/stack.sh env)\n";
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (const auto& [name, v] : SplitFlags(argc, argv, CommonOptions::BareFlags(), Usage)) {
    if (name == "service-binary") Usage("name each service: --correlation-binary and --dispatch-binary");
    if (name == "no-restart") Usage("--no-restart: this bench never restarts a service");
    if (o.TakeFlag(name, v)) continue;
    if (name == "correlation-binary") {
      o.correlation_binary = v;
    } else if (name == "dispatch-binary") {
      o.dispatch_binary = v;
    } else if (name == "scale") {
      o.scale = NumberFlag(name, v, Usage);
    } else if (name == "rate") {
      o.rate = NumberFlag(name, v, Usage);
    } else if (name == "duration") {
      o.duration_s = static_cast<int>(CountFlag(name, v, Usage));
    } else if (name == "job-s") {
      o.job_s = NumberFlag(name, v, Usage);
    } else if (name == "seed") {
      o.seed = CountFlag(name, v, Usage);
    } else if (name == "drain-timeout") {
      o.drain_timeout_s = static_cast<int>(CountFlag(name, v, Usage));
    } else {
      Usage("unknown flag --" + name);
    }
  }
  if (!(o.scale >= 0.1 && o.scale <= 100)) Usage("--scale must be within 0.1..100");
  if (!(o.Rate() >= 1 && o.Rate() <= 100000)) Usage("--rate must be within 1..100000");
  if (o.duration_s < 1 || o.duration_s > 3600) Usage("--duration must be within 1..3600");
  if (!(o.job_s >= 0 && o.job_s <= 3600)) Usage("--job-s must be within 0..3600");
  if (o.drain_timeout_s < 10 || o.drain_timeout_s > 7200) Usage("--drain-timeout must be within 10..7200");
  return o;
}

// The options of one service (its binary, its log).
CommonOptions ServiceOptions(const Options& o, const std::string& binary, const std::string& name) {
  CommonOptions s = o;
  s.service_binary = binary;
  if (!o.service_log.empty()) s.service_log = o.service_log + "." + name + ".log";
  return s;
}

// The storm (storm.h) is correlation_bench's, unchanged (its README sections
// "The load" and "How" describe it): the same mix, pools, timing and seed, so
// that the load here is the one correlation's figures were measured at. The
// crews are created and played as dispatch_bench does (crew_player.h).

// ------------------------------------------------------------------ what came back

// One fault event sent by the bench.
struct FaultRecord {
  int64_t sent_ns = 0;            // steady clock, just before produce (written by the sender only)
  int64_t first_incident_ns = 0;  // steady clock, the first incident event naming it was received (reader only)
};

// An incident event that opened (or reopened) an incident, naming faults of this run.
struct OpeningEvent {
  std::string incident_id;
  iv1::IncidentChange change = iv1::INCIDENT_CHANGE_UNSPECIFIED;
  iv1::Rule rule = iv1::RULE_UNSPECIFIED;
  int64_t received_ns = 0;
  std::vector<std::pair<int, size_t>> faults;  // (phase, index) of its causes of this run
};

// One work order as the assignments topic told it.
struct OrderRecord {
  std::string incident_id;
  std::string created_cause;  // the incident event that created it (CREATED's cause_event_id)
  std::string skill;
  iv1::Priority priority = iv1::PRIORITY_UNSPECIFIED;
  int64_t created_ns = 0;
  bool queued = false;  // QUEUED before its first ASSIGNED
  int64_t assigned_ns = 0;
  int64_t decided_us = 0;  // the ASSIGNED event's occurred_at (dispatch's clock when it applied the batch)
  bool cancelled = false;
  bool cancelled_before_assigned = false;
  int64_t cancelled_ns = 0;
};

// What both readers learnt, under one lock. The readers only record; the
// figures are worked out at the end.
class Tracker {
 public:
  // Faults of phase 0 (the warm-up) and 1 (the storm), sized before any reader starts.
  Tracker(std::string run_id, size_t warmup_faults, size_t storm_faults, CrewPlayer& player)
      : run_id_(std::move(run_id)), player_(player) {
    faults_[0].resize(warmup_faults);
    faults_[1].resize(storm_faults);
  }

  std::mutex& mutex() { return mutex_; }
  std::string FaultEventId(int phase, size_t k) const { return cityops::bench::FaultEventId(run_id_, phase, k); }
  // Written by the sender before produce, read after the run: not under the lock.
  FaultRecord& fault(int phase, size_t k) { return faults_[phase][k]; }

  void OnIncidentMessage(const RdKafka::Message& m, int64_t now) {
    iv1::IncidentEvent event;
    const bool ok = event.ParseFromArray(m.payload(), static_cast<int>(m.len()));
    std::lock_guard lock(mutex_);
    ++incident_events_;
    last_incident_ns_ = now;
    if (!ok) {
      ++undecodable_;
      return;
    }
    ++incident_changes_[iv1::IncidentChange_Name(event.change())];
    const iv1::Incident& incident = event.incident();
    std::vector<std::pair<int, size_t>> mine;
    for (const auto& cause : event.causes()) {
      if (auto id = ParseFaultId(cause.event_id())) {
        mine.push_back(*id);
        FaultRecord& r = faults_[id->first][id->second];
        if (r.first_incident_ns == 0) {
          r.first_incident_ns = now;
          ++faults_seen_[id->first];
        }
      }
    }
    const bool opens = event.change() == iv1::INCIDENT_CHANGE_OPENED || event.change() == iv1::INCIDENT_CHANGE_REOPENED;
    if (opens && !mine.empty()) {
      OpeningEvent& o = openings_[event.meta().event_id()];
      o.incident_id = incident.id();
      o.change = event.change();
      o.rule = incident.rule();
      o.received_ns = now;
      o.faults = mine;
      first_opening_.try_emplace(incident.id(), event.meta().event_id());
      if (event.change() == iv1::INCIDENT_CHANGE_OPENED) {
        ++opened_by_rule_[mine.front().first][iv1::Rule_Name(incident.rule())];
        if (mine.front().first == 0) warmup_incident_ = incident.id();
      }
    }
    if (incident.status() == iv1::INCIDENT_STATUS_MERGED && !incident.merged_into().empty()) {
      merged_into_.try_emplace(incident.id(), incident.merged_into());
    }
  }

  void OnAssignmentMessage(const RdKafka::Message& m, int64_t now) {
    dv1::AssignmentEvent event;
    const bool ok = event.ParseFromArray(m.payload(), static_cast<int>(m.len()));
    std::lock_guard lock(mutex_);
    ++assignment_events_;
    last_assignment_ns_ = now;
    if (!ok) {
      ++undecodable_;
      return;
    }
    ++assignment_changes_[dv1::AssignmentChange_Name(event.change())];
    switch (event.change()) {
      case dv1::ASSIGNMENT_CHANGE_CREATED:
      case dv1::ASSIGNMENT_CHANGE_QUEUED:
      case dv1::ASSIGNMENT_CHANGE_ASSIGNED:
      case dv1::ASSIGNMENT_CHANGE_CANCELLED:
        last_order_change_ns_ = now;
        break;
      default:
        break;
    }
    const dv1::WorkOrder& w = event.work_order();
    if (event.change() == dv1::ASSIGNMENT_CHANGE_ASSIGNED) player_.Assigned(event.crew_id(), w.id());
    OrderRecord& o = orders_[w.id()];
    if (o.incident_id.empty()) {
      o.incident_id = w.incident_id();
      o.skill = w.skill();
      o.priority = w.priority();
    }
    switch (event.change()) {
      case dv1::ASSIGNMENT_CHANGE_CREATED:
        if (o.created_ns == 0) {
          o.created_ns = now;
          o.created_cause = event.cause_event_id();
        }
        break;
      case dv1::ASSIGNMENT_CHANGE_QUEUED:
        if (o.assigned_ns == 0) o.queued = true;
        break;
      case dv1::ASSIGNMENT_CHANGE_ASSIGNED:
        if (o.assigned_ns != 0) break;  // a later one (after a decline or a preemption)
        o.assigned_ns = now;
        o.decided_us = EpochMicros(common::FromProtoTime(event.meta().occurred_at()));
        ++assigned_;
        break;
      case dv1::ASSIGNMENT_CHANGE_CANCELLED:
        if (o.cancelled_ns == 0) o.cancelled_ns = now;
        o.cancelled = true;
        if (o.assigned_ns == 0) o.cancelled_before_assigned = true;
        break;
      default:
        break;
    }
  }

  // Under mutex().
  bool WarmupAssigned() const {
    if (warmup_incident_.empty()) return false;
    for (const auto& [id, o] : orders_) {
      if (o.incident_id == warmup_incident_ && o.assigned_ns != 0) return true;
    }
    return false;
  }
  size_t assigned() const { return assigned_; }
  int64_t last_order_change_ns() const { return last_order_change_ns_; }
  size_t incident_events() const { return incident_events_; }
  size_t assignment_events() const { return assignment_events_; }
  size_t faults_seen(int phase) const { return faults_seen_[phase]; }
  // Orders created but neither assigned nor cancelled.
  size_t Waiting() const {
    size_t n = 0;
    for (const auto& [id, o] : orders_) {
      if (o.created_ns != 0 && o.assigned_ns == 0 && !o.cancelled) ++n;
    }
    return n;
  }
  const std::unordered_map<std::string, OrderRecord>& orders() const { return orders_; }
  const std::unordered_map<std::string, OpeningEvent>& openings() const { return openings_; }
  const std::unordered_map<std::string, std::string>& first_opening() const { return first_opening_; }
  const std::unordered_map<std::string, std::string>& merged_into() const { return merged_into_; }
  const std::map<std::string, size_t>& opened_by_rule(int phase) { return opened_by_rule_[phase]; }
  const std::map<std::string, size_t>& incident_changes() const { return incident_changes_; }
  const std::map<std::string, size_t>& assignment_changes() const { return assignment_changes_; }
  size_t undecodable() const { return undecodable_; }
  const std::string& warmup_incident() const { return warmup_incident_; }

 private:
  // (phase, index) of a fault event id of this run ("<run>/<phase>/<k>").
  std::optional<std::pair<int, size_t>> ParseFaultId(const std::string& id) const {
    auto parsed = ParseFaultEventId(run_id_, id);
    if (!parsed || parsed->first < 0 || parsed->first > 1 || parsed->second >= faults_[parsed->first].size()) {
      return std::nullopt;
    }
    return parsed;
  }

  std::string run_id_;
  CrewPlayer& player_;
  std::mutex mutex_;
  std::vector<FaultRecord> faults_[2];
  size_t faults_seen_[2] = {0, 0};
  std::unordered_map<std::string, OpeningEvent> openings_;      // by incident event id
  std::unordered_map<std::string, std::string> first_opening_;  // incident id -> its first opening event id
  std::unordered_map<std::string, std::string> merged_into_;    // incident id -> the incident it was merged into
  std::map<std::string, size_t> opened_by_rule_[2];
  std::unordered_map<std::string, OrderRecord> orders_;  // by work order id
  std::string warmup_incident_;
  std::map<std::string, size_t> incident_changes_, assignment_changes_;
  size_t incident_events_ = 0, assignment_events_ = 0, undecodable_ = 0, assigned_ = 0;
  int64_t last_incident_ns_ = 0, last_assignment_ns_ = 0, last_order_change_ns_ = 0;
};

// ------------------------------------------------------------------ the services' gauges over time

// Samples, once a second, dispatch's queue and crews and correlation's open
// incidents, from their /metrics.
class GaugeSampler {
 public:
  GaugeSampler(int correlation_port, int dispatch_port, SteadyClock::time_point origin)
      : correlation_port_(correlation_port), dispatch_port_(dispatch_port), origin_(origin) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~GaugeSampler() { Stop(); }
  GaugeSampler(const GaugeSampler&) = delete;
  GaugeSampler& operator=(const GaugeSampler&) = delete;

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  json Samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }
  double MaxQueue() {
    std::lock_guard lock(mutex_);
    return max_queue_;
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      const double t = Seconds(SteadyClock::now() - origin_);
      json row = {{"t_s", Round1(t)}};
      if (auto q = ScrapeSamples(dispatch_port_, kDispatchMetric + "queue_length")) {
        double total = 0;
        for (const auto& [labels, v] : *q) total += v;
        row["queue"] = total;
      }
      if (auto c = ScrapeSamples(dispatch_port_, kDispatchMetric + "crews")) {
        for (const auto& [labels, v] : *c) {
          if (labels.find("available") != std::string::npos) row["crews_available"] = v;
        }
      }
      if (auto open = ScrapeMetric(correlation_port_, kCorrelationMetric + "open_incidents")) {
        row["open_incidents"] = *open;
      }
      lock.lock();
      if (row.contains("queue")) max_queue_ = std::max(max_queue_, row["queue"].get<double>());
      samples_.push_back(row);
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    }
  }

  int correlation_port_, dispatch_port_;
  SteadyClock::time_point origin_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  json samples_ = json::array();
  double max_queue_ = 0;
  std::thread thread_;
};

// ------------------------------------------------------------------ the run

json LoadJson(const Options& o) {
  return {{"dijon_storm_events_per_s", kDijonStormEventsPerS},
          {"scale", o.scale},
          {"rate_events_per_s", o.Rate()},
          {"duration_s", o.duration_s},
          {"job_s", o.job_s},
          {"definition",
           "correlation_bench's storm (the bench's choice; the brief gives counts, not a fault rate): Dijon would see "
           "50 fault events/s at the height of a severe storm (raised and cleared together), times the scale; every "
           "incident correlation opens becomes a work order in crew-dispatch; the bench plays the crews (accept, "
           "arrive, complete after about job_s); see tests/bench/README.md"}};
}

// Sends the storm paced; returns its figures as sent.
json SendStorm(const Options& o, const sim::City& city, const std::vector<PlannedFault>& script, Tracker& tracker,
               common::KafkaProducer& producer, const std::string& topic, const std::shared_ptr<AckLog>& acks,
               SteadyClock::time_point& storm_end) {
  std::vector<double> send_lag_ms;
  send_lag_ms.reserve(script.size());
  const auto started = SteadyClock::now();
  bool storm_over = false;
  // The send time of each raise, for its clearing's `since`.
  std::vector<common::TimePoint> raise_wall(script.size());
  tv1::FaultEvent e;
  for (size_t k = 0; k < script.size(); ++k) {
    const PlannedFault& f = script[k];
    const auto due = started + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(f.at_s));
    std::this_thread::sleep_until(due);
    if (!storm_over && f.at_s >= o.duration_s) {
      storm_over = true;
      storm_end = SteadyClock::now();
    }
    e = MakeFault(city.at(f.asset), f, kProducer);
    const common::TimePoint wall =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    // since = when its fault began: the raise's send time for a clearing.
    StampFault(e, tracker.FaultEventId(1, k), wall,
               f.raise_of >= 0 ? raise_wall[static_cast<size_t>(f.raise_of)] : wall);
    if (f.raised) raise_wall[k] = wall;
    const std::string value = e.SerializeAsString();
    tracker.fault(1, k).sent_ns = NowNs();
    ProduceWaiting(producer, topic, e.asset_id(), value, RecordAck(acks, k));
    send_lag_ms.push_back(Millis((SteadyClock::now() - due).count()));
  }
  if (!storm_over) storm_end = SteadyClock::now();
  const double sent_s = Seconds(SteadyClock::now() - started);
  return {
      {"sent_s", Round3(sent_s)},
      {"send_lag_ms", {{"p99", Round3(Percentile(send_lag_ms, 99))}, {"max", Round3(Percentile(send_lag_ms, 100))}}}};
}

// Publishes the city as AssetEvents (as telemetry-ingest does) and waits
// until correlation's topology table holds every asset.
json LoadTopology(const sim::City& city, common::KafkaProducer& producer, Sandbox& sandbox) {
  const TopologyLoad load = cityops::bench::LoadTopology(city, producer, sandbox, kProducer);
  std::cout << "correlation's topology holds all " << load.assets << " assets after " << std::fixed
            << std::setprecision(1) << load.loaded_s << " s (published in " << load.published_s << " s)\n";
  return load.ToJson();
}

// One fault raised on a bus (no bus is in the storm), waited for until its
// order's ASSIGNED event came back, then cleared: both services' consumers
// have joined their groups and every topic is known to every client.
json Warmup(const sim::City& city, Tracker& tracker, common::KafkaProducer& producer, const std::string& topic) {
  const auto bus = WarmupBus(city);
  if (!bus) throw std::runtime_error("the city has no bus for the warm-up");
  PlannedFault f;
  f.asset = *bus;
  f.type = tv1::FAULT_TYPE_DEVICE_FAILURE;
  const auto send = [&](size_t k) {
    tv1::FaultEvent e = MakeFault(city.at(f.asset), f, kProducer);
    const common::TimePoint now = std::chrono::system_clock::now();
    StampFault(e, tracker.FaultEventId(0, k), now, now);
    tracker.fault(0, k).sent_ns = NowNs();
    ProduceWaiting(producer, topic, e.asset_id(), e.SerializeAsString(), [](const common::DeliveryResult&) {});
  };
  const auto started = SteadyClock::now();
  send(0);
  bool done = false;
  while (!done && SteadyClock::now() - started < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(tracker.mutex());
    done = tracker.WarmupAssigned();
  }
  if (!done) throw std::runtime_error("the warm-up fault's order got no crew in 60 s");
  const double assigned_s = Seconds(SteadyClock::now() - started);
  f.raised = false;
  send(1);
  std::cout << "warm-up: a bus fault's order assigned after " << std::setprecision(2) << assigned_s << " s\n";
  return {{"assigned_after_s", Round3(assigned_s)}};
}

// Both services' histograms reported around the storm.
struct Histograms {
  HistogramSet correlation, dispatch;

  static Histograms Scrape(int correlation_port, int dispatch_port) {
    return {
        HistogramSet::Scrape(correlation_port, kCorrelationMetric,
                             {"fault_to_incident_seconds", "apply_duration_seconds", "outbox_publish_latency_seconds"}),
        HistogramSet::Scrape(dispatch_port, kDispatchMetric,
                             {"incident_to_assigned_seconds", "outbox_publish_latency_seconds"})};
  }
  json Since(const Histograms& before) const {
    return {{"incident-correlation", correlation.Since(before.correlation)},
            {"crew-dispatch", dispatch.Since(before.dispatch)}};
  }
};

// The end-to-end figures, from what the readers recorded (under the tracker's
// lock, readers stopped).
json Analyze(const Options& o, const std::vector<PlannedFault>& script, Tracker& tracker,
             const std::vector<std::atomic<int64_t>>& acked_ns, int64_t storm_start_ns, int64_t storm_end_ns,
             int64_t script_end_ns) {
  json out;
  // ---- the correlation hop alone, for every fault of the storm (as correlation_bench measures it)
  std::vector<double> fault_to_incident, fault_to_incident_all, kafka_ack;
  size_t missing_raised = 0, missing_cleared = 0;
  for (size_t k = 0; k < script.size(); ++k) {
    const FaultRecord& r = tracker.fault(1, k);
    const int64_t acked = acked_ns[k].load(std::memory_order_relaxed);
    if (acked > 0) kafka_ack.push_back(Millis(acked - r.sent_ns));
    if (r.first_incident_ns == 0) {
      ++(script[k].raised ? missing_raised : missing_cleared);
      continue;
    }
    const double ms = Millis(r.first_incident_ns - r.sent_ns);
    fault_to_incident_all.push_back(ms);
    if (script[k].at_s < o.duration_s) fault_to_incident.push_back(ms);
  }
  out["correlation_hop_every_fault"] = {
      {"latency_ms", Summary(fault_to_incident)},
      {"latency_ms_with_recovery_tail", Summary(fault_to_incident_all)},
      {"missing", {{"raised", missing_raised}, {"cleared", missing_cleared}}},
      {"kafka_ack_ms", Summary(kafka_ack)},
      {"what",
       "every fault event sent in the storm proper: the first incident event naming it among its causes received - "
       "the fault sent (correlation_bench's figure, measured here with crew-dispatch running beside it)"}};

  // ---- every work order, traced to the fault(s) that opened its incident
  const auto& openings = tracker.openings();
  std::unordered_map<std::string, std::vector<std::string>> children;  // incident -> incidents merged into it
  for (const auto& [child, parent] : tracker.merged_into()) children[parent].push_back(child);
  // The earliest storm fault among an opening event's causes: (sent_ns, index); (0, 0) when none.
  const auto earliest = [&](const OpeningEvent& e) {
    std::pair<int64_t, size_t> best{0, 0};
    for (const auto& [phase, k] : e.faults) {
      if (phase != 1) continue;
      const int64_t sent = tracker.fault(1, k).sent_ns;
      if (sent > 0 && (best.first == 0 || sent < best.first)) best = {sent, k};
    }
    return best;
  };
  struct Row {
    double e2e, stage1, stage2, first_symptom;
    bool queued;
    size_t k;
    const OrderRecord* order;
    const OpeningEvent* opening;
  };
  std::vector<Row> rows;
  size_t created = 0, warmup = 0, untraced = 0, traced = 0, cancelled_before = 0, waiting = 0,
         cause_was_not_opening = 0;
  size_t waiting_at_storm_end = 0, waiting_at_script_end = 0, created_by_storm_end = 0;
  std::map<std::string, size_t> created_by_rule;
  const auto waiting_at = [](const OrderRecord& r, int64_t t) {
    return r.created_ns != 0 && r.created_ns <= t && (r.assigned_ns == 0 || r.assigned_ns > t) &&
           (r.cancelled_ns == 0 || r.cancelled_ns > t);
  };
  for (const auto& [id, r] : tracker.orders()) {
    if (r.created_ns == 0) continue;
    ++created;
    const OpeningEvent* opening = nullptr;
    if (auto it = openings.find(r.created_cause); it != openings.end()) {
      opening = &it->second;
    } else if (auto first = tracker.first_opening().find(r.incident_id); first != tracker.first_opening().end()) {
      ++cause_was_not_opening;
      opening = &openings.at(first->second);
    }
    if (opening == nullptr) {
      ++untraced;
      continue;
    }
    const auto [t0, k0] = earliest(*opening);
    if (t0 == 0) {
      ++warmup;
      continue;
    }
    ++traced;
    ++created_by_rule[iv1::Rule_Name(opening->rule)];
    if (r.created_ns <= storm_end_ns) ++created_by_storm_end;
    if (waiting_at(r, storm_end_ns)) ++waiting_at_storm_end;
    if (waiting_at(r, script_end_ns)) ++waiting_at_script_end;
    if (r.assigned_ns == 0) {
      ++(r.cancelled_before_assigned ? cancelled_before : waiting);
      continue;
    }
    // From the first symptom: the earliest fault of the incidents merged into
    // this one too (a cabinet's first lamps open incidents of their own before
    // the third makes it a cabinet incident).
    int64_t first = t0;
    if (auto c = children.find(opening->incident_id); c != children.end()) {
      for (const auto& child : c->second) {
        if (auto f = tracker.first_opening().find(child); f != tracker.first_opening().end()) {
          const int64_t t = earliest(openings.at(f->second)).first;
          if (t > 0 && t < first) first = t;
        }
      }
    }
    rows.push_back({Millis(r.assigned_ns - t0), Millis(opening->received_ns - t0),
                    Millis(r.assigned_ns - opening->received_ns), Millis(r.assigned_ns - first), r.queued, k0, &r,
                    opening});
  }

  std::vector<double> e2e, stage1, stage2, first_symptom, e2e_once, s1_once, s2_once, e2e_queue, s1_queue, s2_queue;
  std::map<std::string, std::vector<double>> by_priority, by_skill, by_rule, once_by_priority;
  std::map<int, std::vector<const Row*>> windows;
  for (const Row& row : rows) {
    e2e.push_back(row.e2e);
    stage1.push_back(row.stage1);
    stage2.push_back(row.stage2);
    first_symptom.push_back(row.first_symptom);
    (row.queued ? e2e_queue : e2e_once).push_back(row.e2e);
    (row.queued ? s1_queue : s1_once).push_back(row.stage1);
    (row.queued ? s2_queue : s2_once).push_back(row.stage2);
    const std::string priority = iv1::Priority_Name(row.order->priority);
    by_priority[priority].push_back(row.e2e);
    if (!row.queued) once_by_priority[priority].push_back(row.e2e);
    by_skill[row.order->skill].push_back(row.e2e);
    by_rule[iv1::Rule_Name(row.opening->rule)].push_back(row.e2e);
    windows[static_cast<int>(script[row.k].at_s / 10)].push_back(&row);
  }
  const auto p99 = [](const std::vector<double>& v) { return Round1(Percentile(v, 99)); };
  out["latency_ms"] = Summary(e2e);
  out["latency_ms"]["what"] =
      "every work order's first ASSIGNED event received - the earliest storm fault among the causes of the incident "
      "event that created the order (OPENED or REOPENED) sent";
  out["latency_ms_assigned_at_once"] = Summary(e2e_once);
  out["latency_ms_assigned_from_queue"] = Summary(e2e_queue);
  out["stages"] = {
      {"fault_to_incident_event_ms", Summary(stage1)},
      {"incident_event_to_assigned_ms", Summary(stage2)},
      {"sum_of_stage_p99s_ms", Round1(p99(stage1) + p99(stage2))},
      {"whole_p99_ms", p99(e2e)},
      {"at_once",
       {{"fault_to_incident_event_ms", Summary(s1_once)},
        {"incident_event_to_assigned_ms", Summary(s2_once)},
        {"sum_of_stage_p99s_ms", Round1(p99(s1_once) + p99(s2_once))},
        {"whole_p99_ms", p99(e2e_once)}}},
      {"from_queue",
       {{"fault_to_incident_event_ms", Summary(s1_queue)},
        {"incident_event_to_assigned_ms", Summary(s2_queue)},
        {"whole_p99_ms", p99(e2e_queue)}}},
      {"what",
       "the same orders as latency_ms, split where the bench received the opening incident event: stage 1 = that "
       "event received - the fault sent, stage 2 = ASSIGNED received - that event received (crew-dispatch reads the "
       "same event on its own, so stage 2 can be a little off either way); stage 1 + stage 2 = the whole for each "
       "order, a sum of p99s is not the p99 of the sum"}};
  out["latency_ms_from_first_symptom"] = Summary(first_symptom);
  out["latency_ms_from_first_symptom"]["what"] =
      "as latency_ms, but from the earliest fault of the incident and of the incidents merged into it (a topology "
      "incident opens on its third failed child: this includes the time the evidence took to arrive)";
  json prio = json::object(), prio_once = json::object(), skill = json::object(), rule = json::object();
  for (const auto& [k, v] : by_priority) prio[k] = Summary(v);
  for (const auto& [k, v] : once_by_priority) prio_once[k] = Summary(v);
  for (const auto& [k, v] : by_skill) skill[k] = Summary(v);
  for (const auto& [k, v] : by_rule) rule[k] = Summary(v);
  out["latency_ms_by_priority"] = prio;
  out["latency_ms_at_once_by_priority"] = prio_once;
  out["latency_ms_by_skill"] = skill;
  out["latency_ms_by_rule"] = rule;
  json timeline = json::array();
  for (const auto& [w, v] : windows) {
    std::vector<double> all, once;
    for (const Row* r : v) {
      all.push_back(r->e2e);
      if (!r->queued) once.push_back(r->e2e);
    }
    timeline.push_back({{"fault_sent_from_s", w * 10},
                        {"orders_assigned", all.size()},
                        {"at_once", once.size()},
                        {"p50", Round1(Percentile(all, 50))},
                        {"p99", Round1(Percentile(all, 99))},
                        {"max", Round1(Percentile(all, 100))},
                        {"at_once_p99", Round1(Percentile(once, 99))}});
  }
  out["latency_ms_by_10s"] = timeline;
  std::vector<const Row*> slow;
  slow.reserve(rows.size());
  for (const Row& r : rows) slow.push_back(&r);
  std::sort(slow.begin(), slow.end(), [](const Row* a, const Row* b) { return a->e2e > b->e2e; });
  json slowest = json::array();
  for (size_t i = 0; i < slow.size() && i < 10; ++i) {
    const Row& r = *slow[i];
    slowest.push_back({{"fault_sent_at_s", Round3(script[r.k].at_s)},
                       {"fault", CategoryName(script[r.k].category)},
                       {"rule", iv1::Rule_Name(r.opening->rule)},
                       {"skill", r.order->skill},
                       {"priority", iv1::Priority_Name(r.order->priority)},
                       {"queued_first", r.queued},
                       {"total_ms", Round1(r.e2e)},
                       {"fault_to_incident_event_ms", Round1(r.stage1)},
                       {"incident_event_to_assigned_ms", Round1(r.stage2)}});
  }
  out["slowest"] = slowest;
  std::vector<const Row*> slow_once;
  for (const Row* r : slow) {
    if (!r->queued && slow_once.size() < 10) slow_once.push_back(r);
  }
  json slowest_once = json::array();
  for (const Row* r : slow_once) {
    slowest_once.push_back({{"fault_sent_at_s", Round3(script[r->k].at_s)},
                            {"rule", iv1::Rule_Name(r->opening->rule)},
                            {"skill", r->order->skill},
                            {"priority", iv1::Priority_Name(r->order->priority)},
                            {"total_ms", Round1(r->e2e)},
                            {"fault_to_incident_event_ms", Round1(r->stage1)},
                            {"incident_event_to_assigned_ms", Round1(r->stage2)}});
  }
  out["slowest_assigned_at_once"] = slowest_once;

  size_t raised = 0;
  for (const auto& f : script) raised += f.raised ? 1 : 0;
  size_t opened = 0;
  for (const auto& [r, n] : tracker.opened_by_rule(1)) opened += n;
  size_t merged = 0;
  for (const auto& [child, parent] : tracker.merged_into()) {
    if (auto f = tracker.first_opening().find(child);
        f != tracker.first_opening().end() && earliest(openings.at(f->second)).first > 0) {
      ++merged;
    }
  }
  out["counts"] = {{"faults_sent", script.size()},
                   {"faults_raised", raised},
                   {"faults_cleared", script.size() - raised},
                   {"incident_events_read", tracker.incident_events()},
                   {"incidents_opened", opened},
                   {"incidents_opened_by_rule", tracker.opened_by_rule(1)},
                   {"incidents_merged_into_another", merged},
                   {"incident_changes", tracker.incident_changes()},
                   {"assignment_events_read", tracker.assignment_events()},
                   {"assignment_changes", tracker.assignment_changes()},
                   {"undecodable_events", tracker.undecodable()},
                   {"orders",
                    {{"created", created},
                     {"traced_to_a_storm_fault", traced},
                     {"traced_by_rule", created_by_rule},
                     {"warmup", warmup},
                     {"untraced", untraced},
                     {"traced_by_incident_id_not_cause_event_id", cause_was_not_opening},
                     {"assigned", rows.size()},
                     {"assigned_at_once", e2e_once.size()},
                     {"assigned_from_queue", e2e_queue.size()},
                     {"cancelled_before_assigned", cancelled_before},
                     {"still_waiting_at_end", waiting},
                     {"created_by_storm_end", created_by_storm_end},
                     {"waiting_at_storm_end", waiting_at_storm_end},
                     {"waiting_when_the_last_fault_was_sent", waiting_at_script_end}}}};
  (void)storm_start_ns;
  return out;
}

void PrintRow(const std::string& label, const json& s) {
  std::cout << "  " << std::left << std::setw(50) << label << std::right;
  if (s.value("count", 0) == 0) {
    std::cout << "(none)\n";
    return;
  }
  std::cout << std::setw(8) << s.value("count", 0) << std::setw(10) << s.value("p50", 0.0) << std::setw(10)
            << s.value("p99", 0.0) << std::setw(10) << s.value("max", 0.0) << "\n";
}

void Print(const Options& o, const json& out) {
  const json& r = out["results"];
  const json& c = r["counts"];
  const json& orders = c["orders"];
  std::cout << std::fixed << std::setprecision(1) << "\nfault to crew assigned, storm of " << o.Rate()
            << " fault events/s for " << o.duration_s << " s, " << out["crews"]["count"].get<size_t>()
            << " crews (ms)\n"
            << "  " << std::left << std::setw(50) << "" << std::right << std::setw(8) << "count" << std::setw(10)
            << "p50" << std::setw(10) << "p99" << std::setw(10) << "max\n";
  PrintRow("END TO END, every order assigned", r["latency_ms"]);
  PrintRow("  stage 1: fault -> incident event received", r["stages"]["fault_to_incident_event_ms"]);
  PrintRow("  stage 2: incident event -> ASSIGNED received", r["stages"]["incident_event_to_assigned_ms"]);
  PrintRow("end to end, orders assigned at once", r["latency_ms_assigned_at_once"]);
  PrintRow("  stage 1", r["stages"]["at_once"]["fault_to_incident_event_ms"]);
  PrintRow("  stage 2", r["stages"]["at_once"]["incident_event_to_assigned_ms"]);
  PrintRow("end to end, orders queued first", r["latency_ms_assigned_from_queue"]);
  PrintRow("end to end from the first symptom (merges)", r["latency_ms_from_first_symptom"]);
  PrintRow("correlation hop, every fault (storm proper)", r["correlation_hop_every_fault"]["latency_ms"]);
  std::cout << "  p99 stage 1 + p99 stage 2 = " << r["stages"]["sum_of_stage_p99s_ms"].get<double>()
            << " ms vs whole p99 " << r["stages"]["whole_p99_ms"].get<double>()
            << " ms; at once: " << r["stages"]["at_once"]["sum_of_stage_p99s_ms"].get<double>() << " vs "
            << r["stages"]["at_once"]["whole_p99_ms"].get<double>() << " ms\n"
            << "faults sent " << c["faults_sent"] << " (" << c["faults_raised"] << " raised, " << c["faults_cleared"]
            << " cleared); incidents opened " << c["incidents_opened"] << " (" << c["incidents_merged_into_another"]
            << " merged into another)\n"
            << "orders created " << orders["traced_to_a_storm_fault"] << ": assigned " << orders["assigned"] << " ("
            << orders["assigned_at_once"] << " at once, " << orders["assigned_from_queue"]
            << " from the queue), cancelled before a crew " << orders["cancelled_before_assigned"]
            << ", still waiting at the end " << orders["still_waiting_at_end"] << "; waiting at the storm's end "
            << orders["waiting_at_storm_end"] << "; dispatch's queue peaked at " << r["dispatch_queue_max"] << "\n";
  for (const char* name : {"incident-correlation", "crew-dispatch"}) {
    const json& s = out["services"][name];
    std::cout << name << ": VmHWM " << s["rss_mb"].get<double>() << " MiB, VmRSS " << s["vmrss_mb"].get<double>()
              << " MiB, ready in " << s["ready_ms"].get<double>() << " ms, CPU " << s["cpu"]["service_cpu_s"]
              << " s, exit " << s["exit_code"] << "\n";
  }
  const double p99 = r["latency_ms"].value("p99", 0.0);
  const double p99_once = r["latency_ms_assigned_at_once"].value("p99", 0.0);
  std::cout << "goal: fault to crew assigned p99 < 500 ms: every order " << p99 << " ms ("
            << (p99 < kBarEndToEndP99Ms ? "met" : "NOT met") << "), orders assigned at once " << p99_once << " ms ("
            << (p99_once < kBarEndToEndP99Ms ? "met" : "NOT met") << ")\n";
}

int Run(const Options& o) {
  const auto gen_start = SteadyClock::now();
  const sim::City city = sim::GenerateCity({o.seed, o.scale, {}});
  const std::vector<sim::CrewPlan> plans = sim::PlanCrews(city);
  if (plans.empty()) Usage("--scale gives no crew");
  StormWriter writer(city, o.seed);
  // correlation_bench's first storm (phase 1 of its seed).
  const std::vector<PlannedFault> script = writer.Write(o.Rate(), o.duration_s, PhaseSeed(o.seed, 1));
  std::cout << "city: " << city.size() << " assets (" << o.scale << " x Dijon), " << plans.size() << " crews, storm of "
            << script.size() << " fault events (" << o.Rate() << "/s for " << o.duration_s
            << " s, then the clearings due), generated in " << std::fixed << std::setprecision(1)
            << Seconds(SteadyClock::now() - gen_start) << " s\n";

  const CommonOptions corr_o = ServiceOptions(o, o.correlation_binary, "incident-correlation");
  CommonOptions disp_o = ServiceOptions(o, o.dispatch_binary, "crew-dispatch");
  disp_o.json_path.clear();
  const RunSetup corr = RunSetup::Prepare(corr_o, "CITYOPS_INCIDENT_CORRELATION_PG_DSN", "cityops-pipeline-correlation",
                                          "incident-correlation.log", Usage);
  RunSetup disp = RunSetup::Prepare(disp_o, "CITYOPS_CREW_DISPATCH_PG_DSN", "cityops-pipeline-dispatch",
                                    "crew-dispatch.log", Usage);
  disp.prefix = corr.prefix;  // one set of topics for both

  json out;
  out["date"] = UtcNow();
  out["machine"] = MachineInfo();
  out["scale"] = o.scale;
  out["seed"] = o.seed;
  out["city_assets"] = city.size();
  out["crews"] = CrewsJson(plans);
  out["load"] = LoadJson(o);
  out["storm"] = DescribeScript(script, o.duration_s);

  Sandbox corr_box(corr.env, "pipeline-bench", o.topics_file, corr.prefix, corr.schema, o.keep);
  Sandbox disp_box(disp.env, "pipeline-bench", o.topics_file, disp.prefix, disp.schema, o.keep);
  // The DSNs (they hold passwords) travel in the environment, not on the command line.
  const auto corr_env = ServiceEnvironment({"CITYOPS_PG_DSN=" + corr.env.service_dsn});
  const auto disp_env = ServiceEnvironment({"CITYOPS_PG_DSN=" + disp.env.service_dsn});
  ServiceProcess correlation, dispatch;
  int exit_code = 0;
  try {
    json services;
    const double corr_ready = correlation.StartUntilReady(o.correlation_binary, corr.ServiceArgs(corr_o), corr_env,
                                                          corr.service_log, corr.ready_file);
    const ReadyPorts corr_ports = ReadReadyFile(corr.ready_file);
    const double disp_ready = dispatch.StartUntilReady(o.dispatch_binary, disp.ServiceArgs(disp_o), disp_env,
                                                       disp.service_log, disp.ready_file);
    const ReadyPorts disp_ports = ReadReadyFile(disp.ready_file);
    services["incident-correlation"] = {{"ready_ms", Round1(corr_ready)}, {"schema", corr.schema}};
    services["crew-dispatch"] = {{"ready_ms", Round1(disp_ready)}, {"schema", disp.schema}};
    std::cout << "incident-correlation ready in " << corr_ready << " ms (pid " << correlation.pid()
              << "), crew-dispatch in " << disp_ready << " ms (pid " << dispatch.pid() << "); topics " << corr.prefix
              << "*\n";

    common::KafkaSettings kafka = corr_box.kafka();
    kafka.client_id = "pipeline-bench";
    auto made = common::KafkaProducer::Create(kafka);
    if (!made.ok()) throw std::runtime_error("Kafka producer: " + made.status().ToString());
    std::unique_ptr<common::KafkaProducer> producer = std::move(*made);
    json setup;
    setup["topology"] = LoadTopology(city, *producer, corr_box);
    const auto channel = ConnectDispatch(disp_ports.grpc);
    setup["crews_created"] = CreateCrews(channel, plans);
    const size_t available = AvailableCrews(channel);
    if (available != plans.size()) {
      throw std::runtime_error("crew-dispatch lists " + std::to_string(available) + " available crews, not " +
                               std::to_string(plans.size()));
    }
    std::cout << "created " << plans.size() << " crews over gRPC in " << setup["crews_created"]["seconds"].get<double>()
              << " s\n";

    const std::string faults_topic = corr_box.Topic(topics::kTelemetryFaults);
    const auto acks = std::make_shared<AckLog>(script.size());
    CrewPlayer player(channel, o.job_s, o.seed + 4, 4);
    Tracker tracker(corr.run_id, 2, script.size(), player);
    TopicReader incidents(corr.env.bootstrap, corr_box.Topic(topics::kIncidents),
                          corr_box.Partitions(topics::kIncidents), "pipeline-bench-" + corr.run_id + "-incidents",
                          "pipeline-bench-reader",
                          [&tracker](const RdKafka::Message& m, int64_t now) { tracker.OnIncidentMessage(m, now); });
    TopicReader assignments(
        corr.env.bootstrap, corr_box.Topic(topics::kDispatchAssignments),
        corr_box.Partitions(topics::kDispatchAssignments), "pipeline-bench-" + corr.run_id + "-assignments",
        "pipeline-bench-reader",
        [&tracker](const RdKafka::Message& m, int64_t now) { tracker.OnAssignmentMessage(m, now); });
    setup["warmup"] = Warmup(city, tracker, *producer, faults_topic);
    out["setup"] = setup;

    // ---- the storm
    const auto hist_before = Histograms::Scrape(corr_ports.metrics, disp_ports.metrics);
    CpuWindow corr_cpu, disp_cpu;
    corr_cpu.Start(correlation.pid());
    disp_cpu.Start(dispatch.pid());
    std::cout << "storm: " << script.size() << " fault events over " << std::setprecision(0) << script.back().at_s
              << " s...\n";
    const auto storm_start = SteadyClock::now();
    GaugeSampler gauges(corr_ports.metrics, disp_ports.metrics, storm_start);
    SteadyClock::time_point storm_end;
    json sent = SendStorm(o, city, script, tracker, *producer, faults_topic, acks, storm_end);
    const auto script_end = SteadyClock::now();
    const int unconfirmed = producer->Flush(std::chrono::seconds(30));

    // ---- until every order is assigned or cancelled (or nothing moves, or --drain-timeout)
    std::string stopped_because;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const int64_t now = NowNs();
      std::lock_guard lock(tracker.mutex());
      const bool all_seen = tracker.faults_seen(1) == script.size();
      const int64_t quiet_ns = now - std::max(tracker.last_order_change_ns(), script_end.time_since_epoch().count());
      if (all_seen && tracker.Waiting() == 0 && quiet_ns > int64_t{10'000'000'000}) {
        stopped_because = "every fault seen, every order assigned or cancelled, no order change for 10 s";
        break;
      }
      if (quiet_ns > int64_t{30'000'000'000}) {
        stopped_because = "no order created, queued, assigned or cancelled for 30 s";
        break;
      }
      if (SteadyClock::now() - script_end > std::chrono::seconds(o.drain_timeout_s)) {
        stopped_because = "--drain-timeout (" + std::to_string(o.drain_timeout_s) + " s) after the last fault";
        break;
      }
    }
    const double drained_s = Seconds(SteadyClock::now() - script_end);
    std::cout << "stopped waiting " << std::setprecision(1) << drained_s
              << " s after the last fault: " << stopped_because << "\n";
    gauges.Stop();
    json results;
    for (auto& [name, value] : sent.items()) results[name] = value;
    results["drain_s"] = Round3(drained_s);
    results["stopped_because"] = stopped_because;
    results["bench_delivery_failures"] = acks->failures.load() + static_cast<size_t>(std::max(unconfirmed, 0));
    const double wall_s = Seconds(SteadyClock::now() - storm_start);
    services["incident-correlation"]["cpu"] = corr_cpu.Finish(wall_s);
    services["crew-dispatch"]["cpu"] = disp_cpu.Finish(wall_s);
    results["service_histograms"] = Histograms::Scrape(corr_ports.metrics, disp_ports.metrics).Since(hist_before);
    results["dispatch_queue_max"] = gauges.MaxQueue();
    results["gauges_every_s"] = gauges.Samples();
    services["incident-correlation"]["counters"] = ScrapeCounters(
        corr_ports.metrics, kCorrelationMetric,
        {"faults_in_total", "inputs_replayed_total", "messages_set_aside_total", "apply_failures_total",
         "incidents_opened_total", "outbox_published_total", "kafka_delivery_failures_total", "open_incidents"});
    services["crew-dispatch"]["counters"] = DispatchCounters(disp_ports.metrics);
    services["incident-correlation"]["rss_mb"] = StatusMb(correlation.pid(), "VmHWM");
    services["incident-correlation"]["vmrss_mb"] = StatusMb(correlation.pid(), "VmRSS");
    services["crew-dispatch"]["rss_mb"] = StatusMb(dispatch.pid(), "VmHWM");
    services["crew-dispatch"]["vmrss_mb"] = StatusMb(dispatch.pid(), "VmRSS");

    // ---- freeze what was read, then the figures
    incidents.Stop();
    assignments.Stop();
    player.Stop();
    results["crews_played"] = player.Report();
    results["crews_played"]["late_ms"] = player.LateMs();
    results["crews_played"]["threads"] = player.threads();
    {
      std::lock_guard lock(tracker.mutex());
      json figures = Analyze(o, script, tracker, acks->acked_ns, storm_start.time_since_epoch().count(),
                             storm_end.time_since_epoch().count(), script_end.time_since_epoch().count());
      for (auto& [name, value] : figures.items()) results[name] = value;
    }
    out["results"] = results;

    for (auto [name, process, log] :
         {std::tuple<const char*, ServiceProcess*, const std::string*>{"crew-dispatch", &dispatch, &disp.service_log},
          {"incident-correlation", &correlation, &corr.service_log}}) {
      const auto stop_at = SteadyClock::now();
      const int code = process->Stop(std::chrono::seconds(60));
      services[name]["stop_ms"] =
          Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count());
      services[name]["exit_code"] = code;
      if (code != 0) {
        std::cerr << "pipeline_bench: " << name << " exited " << code << "; its log's tail:\n" << LogTail(*log, 30);
        exit_code = 1;
      }
    }
    out["services"] = services;

    const json& orders = results["counts"]["orders"];
    const json& missing = results["correlation_hop_every_fault"]["missing"];
    const double set_aside =
        SumCounters(services["incident-correlation"]["counters"], kCorrelationMetric + "messages_set_aside_total") +
        SumCounters(services["crew-dispatch"]["counters"], kDispatchMetric + "messages_set_aside_total");
    const double p99 = results["latency_ms"].value("p99", 0.0);
    const double p99_once = results["latency_ms_assigned_at_once"].value("p99", 0.0);
    const double stage1_p99 = results["stages"]["fault_to_incident_event_ms"].value("p99", 0.0);
    out["bars"] = {{"end_to_end_p99_ms_max", kBarEndToEndP99Ms},
                   {"end_to_end_p99_ms", p99},
                   {"end_to_end_ok", p99 < kBarEndToEndP99Ms},
                   {"end_to_end_assigned_at_once_p99_ms", p99_once},
                   {"end_to_end_assigned_at_once_ok", p99_once < kBarEndToEndP99Ms},
                   {"fault_to_incident_p99_ms_max", kBarFaultToIncidentP99Ms},
                   {"fault_to_incident_p99_ms", stage1_p99},
                   {"fault_to_incident_ok", stage1_p99 < kBarFaultToIncidentP99Ms},
                   {"rss_mb_max_at_dijon_scale", kBarRssMb},
                   {"rss_scale", o.scale},
                   {"rss_ok", services["incident-correlation"]["rss_mb"].get<double>() < kBarRssMb &&
                                  services["crew-dispatch"]["rss_mb"].get<double>() < kBarRssMb}};
    out["checks"] = {
        {"bench_delivery_failures", results["bench_delivery_failures"]},
        {"faults_without_incident_event", missing["raised"].get<size_t>() + missing["cleared"].get<size_t>()},
        {"messages_set_aside", set_aside},
        {"orders_assigned", orders["assigned"]},
        {"orders_untraced", orders["untraced"]}};
    if (results["bench_delivery_failures"].get<size_t>() > 0 || set_aside > 0 ||
        missing["raised"].get<size_t>() + missing["cleared"].get<size_t>() > 0 ||
        orders["assigned"].get<size_t>() == 0) {
      exit_code = 1;
    }
    Print(o, out);
  } catch (...) {
    for (ServiceProcess* p : {&dispatch, &correlation}) {
      if (p->Running()) p->Stop(std::chrono::seconds(20));
    }
    disp.Abort(disp_box);
    corr.Abort(corr_box);
    throw;
  }
  disp.Finish(disp_o, exit_code, disp_box, out);
  corr.Finish(corr_o, exit_code, corr_box, out);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName("pipeline_bench");
  const Options options = ParseOptions(argc, argv);
  return BenchMain([&] { return Run(options); });
}
