// correlation_bench: incident-correlation on a city ten times Dijon.
//
// It needs the local stack (CITYOPS_KAFKA_BOOTSTRAP, CITYOPS_PG_ADMIN_DSN;
// CITYOPS_INCIDENT_CORRELATION_PG_DSN when the stack has the service's role)
// and the built service binary. It works in a fresh schema and freshly
// prefixed topics and starts the service as a child process; then:
//   topology: the simulator's city (city_sim_lib, --scale times Dijon) goes
//            onto the assets topic as AssetEvents, as telemetry-ingest
//            publishes them, until the service's topology table holds it all;
//            the service is then restarted once on it (ready time, memory);
//   storm:   each round, a deterministic storm mix of fault events (cabinets
//            losing power, access-point sites going down, single-asset
//            faults; every one later cleared) is played at a constant rate
//            (--rate, by default 50 events/s per Dijon, so 500 at ten times)
//            for --duration seconds, then the clears still due at their time.
//            The bench reads the incidents topic and, for every fault it sent,
//            takes the first incident event naming it among its causes:
//            latency = received - sent (same clock, same process);
//   flood:   each round, the same mix (--flood events, serialized before the
//            clock starts) is produced as fast as Kafka takes it, timed until
//            the service counted every fault applied (faults_in_total): faults/s.
// Between phases the bench waits until the service is quiet (no incident
// open, outbox empty). Medians of the rounds, the service's own histograms,
// noise reduction (incidents opened vs faults raised), memory (VmHWM) and
// start-to-ready time go to a JSON file and a table.
//
// Usage: correlation_bench [--json FILE] [--scale X] [--rate N] [--duration S] [--rounds N]
//          [--flood N] [--seed N] [--service-binary PATH] [--topics-file PATH] [--service-log FILE]
//          [--service-log-level L] [--service-arg ARG]... [--quiet-timeout S] [--no-restart]
//          [--plan-only] [--keep]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "storm.h"

namespace {

using namespace cityops::bench;  // NOLINT(google-build-using-namespace): the bench's own toolbox
namespace tv1 = cityops::telemetry::v1;
namespace iv1 = cityops::incidents::v1;
namespace common = cityops::common;
namespace sim = cityops::sim;
namespace topics = cityops::topics;

#ifndef CITYOPS_BENCH_TOPICS_FILE
#define CITYOPS_BENCH_TOPICS_FILE "deploy/topics.json"
#endif
#ifndef CITYOPS_BENCH_SERVICE_BINARY
#define CITYOPS_BENCH_SERVICE_BINARY "incident-correlation"
#endif

// The quality bars of the brief.
constexpr double kBarP99Ms = 250.0;
constexpr double kBarRssMb = 100.0;  // at Dijon scale
constexpr double kBarReadyMs = 2000.0;

// The load (kDijonStormEventsPerS) and the storm mix are storm.h's, shared
// with pipeline_bench.

// Metrics of the service read by the bench.
const std::string kMetric = "cityops_incident_correlation_";
// The producer named in the events the bench writes.
const std::string kProducer = "correlation-bench";

// ------------------------------------------------------------------ options

struct Options : CommonOptions {
  Options() {
    service_binary = CITYOPS_BENCH_SERVICE_BINARY;
    topics_file = CITYOPS_BENCH_TOPICS_FILE;
  }
  double scale = 10;
  std::optional<double> rate;  // fault events/s during a storm; default kDijonStormEventsPerS * scale
  int duration_s = 60;
  int rounds = 3;
  size_t flood = 40000;
  uint64_t seed = 1;
  int quiet_timeout_s = 120;
  bool plan_only = false;

  double Rate() const { return rate.value_or(kDijonStormEventsPerS * scale); }
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "correlation_bench: " << problem << "\n"
            << "usage: correlation_bench [--json FILE] [--scale X] [--rate N] [--duration S] [--rounds N]\n"
            << "         [--flood N] [--seed N] [--service-binary PATH] [--topics-file PATH]\n"
            << "         [--service-log FILE] [--service-log-level LEVEL] [--service-arg ARG]...\n"
            << "         [--quiet-timeout S] [--no-restart] [--plan-only] [--keep]\n"
            << "needs CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN (deploy/local/stack.sh env)\n";
  std::exit(2);
}

uint64_t ParseCount(const std::string& name, const std::string& text) { return CountFlag(name, text, Usage); }

double ParseNumber(const std::string& name, const std::string& text) { return NumberFlag(name, text, Usage); }

Options ParseOptions(int argc, char** argv) {
  Options o;
  auto bare = CommonOptions::BareFlags();
  bare.insert("plan-only");
  for (const auto& [name, v] : SplitFlags(argc, argv, bare, Usage)) {
    if (o.TakeFlag(name, v)) continue;
    if (name == "plan-only") {
      o.plan_only = true;
    } else if (name == "scale") {
      o.scale = ParseNumber(name, v);
    } else if (name == "rate") {
      o.rate = ParseNumber(name, v);
    } else if (name == "duration") {
      o.duration_s = static_cast<int>(ParseCount(name, v));
    } else if (name == "rounds") {
      o.rounds = static_cast<int>(ParseCount(name, v));
    } else if (name == "flood") {
      o.flood = ParseCount(name, v);
    } else if (name == "seed") {
      o.seed = ParseCount(name, v);
    } else if (name == "quiet-timeout") {
      o.quiet_timeout_s = static_cast<int>(ParseCount(name, v));
    } else {
      Usage("unknown flag --" + name);
    }
  }
  if (!(o.scale >= 0.01 && o.scale <= 100)) Usage("--scale must be within 0.01..100");
  if (!(o.Rate() >= 1 && o.Rate() <= 100000)) Usage("--rate must be within 1..100000");
  if (o.duration_s < 1 || o.duration_s > 3600) Usage("--duration must be within 1..3600");
  if (o.rounds < 1 || o.rounds > 50) Usage("--rounds must be within 1..50");
  if (o.flood > 10'000'000) Usage("--flood must be at most 10000000 (0: no flood)");
  if (o.quiet_timeout_s < 1) Usage("--quiet-timeout must be positive");
  return o;
}

// ------------------------------------------------------------------ the storm (storm.h)

// DescribeScript's counts of a script, plus by fault type, and how far apart
// in time the children of one failing cabinet (or site) went down.
json DescribeScript(const sim::City& city, const std::vector<PlannedFault>& script, double duration_s) {
  json out = DescribeScript(script, duration_s);
  std::map<std::string, size_t> by_type;
  std::unordered_map<std::string, std::pair<double, double>> parent_span;
  for (const auto& f : script) {
    if (!f.raised) continue;
    ++by_type[tv1::FaultType_Name(f.type)];
    if (f.category == Category::kCabinet || f.category == Category::kSite) {
      auto [it, fresh] = parent_span.try_emplace(city.at(f.asset).parent_id, f.at_s, f.at_s);
      if (!fresh) it->second.second = f.at_s;
    }
  }
  std::vector<double> spans;
  for (const auto& [parent, span] : parent_span) spans.push_back(span.second - span.first);
  out["raised_by_fault_type"] = by_type;
  out["parents_down"] = parent_span.size();
  out["children_down_within_s"] = {{"p50", Round3(Percentile(spans, 50))}, {"max", Round3(Percentile(spans, 100))}};
  return out;
}

// ------------------------------------------------------------------ what came back

// One fault event sent, and the first incident event that named it.
struct FaultRecord {
  int64_t sent_ns = 0;       // steady clock, just before produce
  int64_t wall_us = 0;       // its occurred_at (system clock)
  int64_t seen_ns = 0;       // steady clock, when the bench received the incident event; 0: none yet
  int64_t apply_lag_us = 0;  // incident event's occurred_at (the service's apply time) - fault's occurred_at
  iv1::IncidentChange change = iv1::INCIDENT_CHANGE_UNSPECIFIED;
};

struct Phase {
  std::vector<FaultRecord> faults;
  std::vector<PlannedFault> script;
  // Steady clock when Kafka acknowledged each fault (from the producer's thread); 0: not (yet).
  std::unique_ptr<std::atomic<int64_t>[]> acked_ns;
  size_t seen = 0;
  int64_t last_seen_ns = 0;
  size_t opened = 0;
  std::map<std::string, size_t> opened_by_rule;
  size_t merged = 0;  // incidents opened in the phase that were merged into another
  size_t events = 0;  // incident events naming a fault of the phase
};

// Reads the incidents topic from its start on its own thread and matches
// every cause to the fault the bench sent.
class IncidentReader {
 public:
  IncidentReader(const std::string& bootstrap, const std::string& topic, int partitions, std::string run_id)
      : run_id_(std::move(run_id)),
        reader_(bootstrap, topic, partitions, "correlation-bench-" + run_id_, "correlation-bench-reader",
                [this](const RdKafka::Message& m, int64_t now) { OnMessage(m, now); }) {}

  // The phase's records must not move while the reader may write them.
  void Add(int id, Phase* phase) {
    std::lock_guard lock(mutex_);
    phases_[id] = phase;
  }
  std::mutex& mutex() { return mutex_; }
  size_t events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  int64_t last_event_ns() {
    std::lock_guard lock(mutex_);
    return last_event_ns_;
  }
  size_t undecodable() {
    std::lock_guard lock(mutex_);
    return undecodable_;
  }

 private:
  // On the reader's thread.
  void OnMessage(const RdKafka::Message& m, int64_t now) {
    const bool ok = event_.ParseFromArray(m.payload(), static_cast<int>(m.len()));
    std::lock_guard lock(mutex_);
    ++events_;
    last_event_ns_ = now;
    if (!ok) {
      ++undecodable_;
      return;
    }
    Handle(event_, now);
  }

  void Handle(const iv1::IncidentEvent& event, int64_t now) {
    const int64_t applied_us = EpochMicros(common::FromProtoTime(event.meta().occurred_at()));
    Phase* first = nullptr;
    for (const auto& cause : event.causes()) {
      const auto id = ParseFaultEventId(run_id_, cause.event_id());
      if (!id) continue;
      const auto [phase_id, index] = *id;
      auto it = phases_.find(phase_id);
      if (it == phases_.end() || index >= it->second->faults.size()) continue;
      Phase& phase = *it->second;
      if (first == nullptr) first = &phase;
      FaultRecord& r = phase.faults[index];
      if (r.seen_ns != 0) continue;
      r.seen_ns = now;
      r.apply_lag_us = applied_us - r.wall_us;
      r.change = event.change();
      ++phase.seen;
      phase.last_seen_ns = now;
    }
    if (first != nullptr) {
      ++first->events;
      if (event.change() == iv1::INCIDENT_CHANGE_OPENED) {
        ++first->opened;
        ++first->opened_by_rule[iv1::Rule_Name(event.incident().rule())];
        opened_in_[event.incident().id()] = first;
      }
    }
    if (event.incident().status() == iv1::INCIDENT_STATUS_MERGED) {
      auto it = opened_in_.find(event.incident().id());
      if (it != opened_in_.end()) {
        ++it->second->merged;
        opened_in_.erase(it);
      }
    }
  }

  std::string run_id_;
  iv1::IncidentEvent event_;  // the reader thread's, reused
  std::mutex mutex_;
  std::map<int, Phase*> phases_;
  std::unordered_map<std::string, Phase*> opened_in_;
  size_t events_ = 0;
  size_t undecodable_ = 0;
  int64_t last_event_ns_ = 0;
  // Last: its thread stops before what it writes to goes.
  TopicReader reader_;
};

// ------------------------------------------------------------------ the run

// The service's histograms reported around each phase.
HistogramSet ScrapeHistograms(int port) {
  return HistogramSet::Scrape(
      port, kMetric, {"fault_to_incident_seconds", "apply_duration_seconds", "outbox_publish_latency_seconds"});
}

class Bench {
 public:
  Bench(const Options& o, const sim::City& city, Sandbox& sandbox, std::string run_id)
      : o_(o), city_(city), sandbox_(sandbox), run_id_(std::move(run_id)), writer_(city, o.seed) {
    common::KafkaSettings kafka = sandbox.kafka();
    kafka.client_id = "correlation-bench";
    auto producer = common::KafkaProducer::Create(kafka);
    if (!producer.ok()) throw std::runtime_error("Kafka producer: " + producer.status().ToString());
    producer_ = std::move(*producer);
    faults_topic_ = sandbox.Topic(topics::kTelemetryFaults);
  }

  StormWriter& writer() { return writer_; }

  // Publishes the city as AssetEvents (as telemetry-ingest does) and waits
  // until the service's topology table holds every asset.
  json LoadTopology(int metrics_port) {
    const TopologyLoad load = cityops::bench::LoadTopology(city_, *producer_, sandbox_, kProducer);
    std::cout << "published " << load.assets << " asset events in " << std::setprecision(1) << load.published_s
              << " s\n"
              << "the service's topology holds all " << load.assets << " assets after " << load.loaded_s << " s\n";
    json out = load.ToJson();
    out["assets_per_s"] = Round1(static_cast<double>(load.assets) / load.loaded_s);
    out["asset_events_in_total"] = ScrapeMetric(metrics_port, kMetric + "asset_events_in_total").value_or(-1);
    return out;
  }

  // Waits until no incident is open and the outbox is empty (at most
  // --quiet-timeout); returns the seconds waited, negative on timeout.
  double WaitQuiet(int metrics_port) {
    const auto started = SteadyClock::now();
    const std::string outbox_sql = "SELECT count(*) FROM " + sandbox_.admin().quote_name(sandbox_.schema()) + ".outbox";
    for (;;) {
      const double open = ScrapeMetric(metrics_port, kMetric + "open_incidents").value_or(-1);
      if (open == 0 && sandbox_.Scalar(outbox_sql) == "0") return Round3(Seconds(SteadyClock::now() - started));
      if (SteadyClock::now() - started > std::chrono::seconds(o_.quiet_timeout_s)) {
        std::cerr << "correlation_bench: still " << open << " incident(s) open after " << o_.quiet_timeout_s
                  << " s; going on\n";
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }

  // One fault raised and cleared on a bus (no bus is in the storm mix),
  // waited for: the service's consumer has its partitions (it joins its
  // group after it says ready) and the bench's producer knows the topic.
  // Returns the seconds until both incident events came back.
  json Warmup(IncidentReader& reader) {
    const auto bus = WarmupBus(city_);
    if (!bus) return nullptr;
    PlannedFault f;
    f.asset = *bus;
    f.type = tv1::FAULT_TYPE_DEVICE_FAILURE;
    f.category = Category::kJunction;  // counted nowhere
    std::vector<PlannedFault> script = {f};
    f.raised = false;
    f.raise_of = 0;
    script.push_back(f);
    Phase& phase = NewPhase(0, reader, script);
    const auto started = SteadyClock::now();
    tv1::FaultEvent e;
    for (size_t k = 0; k < phase.script.size(); ++k) {
      e = MakeFault(city_.at(phase.script[k].asset), phase.script[k], kProducer);
      Send(phase, 0, k, e);
    }
    WaitSeen(phase, reader);
    const double seen_s = Seconds(SteadyClock::now() - started);
    std::lock_guard lock(reader.mutex());
    json out = {
        {"faults", phase.script.size()}, {"seen", phase.seen}, {"first_incident_events_after_s", Round3(seen_s)}};
    if (phase.seen == 0) std::cerr << "correlation_bench: the warm-up fault got no incident event in 20 s\n";
    return out;
  }

  // A paced storm; returns its figures.
  json Storm(int phase_id, IncidentReader& reader, pid_t service_pid, int metrics_port) {
    Phase& phase = NewPhase(phase_id, reader, o_.Rate(), o_.duration_s);
    json out = DescribeScript(city_, phase.script, o_.duration_s);
    out["rate_events_per_s"] = o_.Rate();
    const auto hist_before = ScrapeHistograms(metrics_port);
    CpuWindow cpu;
    cpu.Start(service_pid);
    std::vector<double> send_lag_ms;
    send_lag_ms.reserve(phase.script.size());
    const auto started = SteadyClock::now();
    tv1::FaultEvent e;
    for (size_t k = 0; k < phase.script.size(); ++k) {
      const PlannedFault& f = phase.script[k];
      const auto due =
          started + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(f.at_s));
      std::this_thread::sleep_until(due);
      e = MakeFault(city_.at(f.asset), f, kProducer);
      Send(phase, phase_id, k, e);
      send_lag_ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - due).count());
    }
    const double sent_s = Seconds(SteadyClock::now() - started);
    out["sent_s"] = Round3(sent_s);
    out["send_lag_ms"] = {{"p99", Round3(Percentile(send_lag_ms, 99))}, {"max", Round3(Percentile(send_lag_ms, 100))}};
    const size_t in_storm = out["events_in_storm"].get<size_t>();
    out["offered_per_s_in_storm"] = Round1(static_cast<double>(in_storm) / o_.duration_s);
    WaitSeen(phase, reader);
    out["cpu"] = cpu.Finish(Seconds(SteadyClock::now() - started));
    Report(phase, reader, out, o_.duration_s);
    out["service"] = ScrapeHistograms(metrics_port).Since(hist_before);
    out["service_vmrss_mb_after"] = StatusMb(service_pid, "VmRSS");
    out["quiet_wait_s"] = WaitQuiet(metrics_port);
    return out;
  }

  // The flood: as fast as possible, timed until the service applied every fault.
  json Flood(int phase_id, IncidentReader& reader, pid_t service_pid, int metrics_port) {
    const double virtual_s = static_cast<double>(o_.flood) / o_.Rate();
    Phase& phase = NewPhase(phase_id, reader, o_.Rate(), virtual_s);
    json out = DescribeScript(city_, phase.script, virtual_s);
    for (const char* k : {"events_in_storm", "events_in_recovery_tail", "last_event_s"}) out.erase(k);
    out["script"] = "the storm mix of " + std::to_string(static_cast<int>(virtual_s)) + " s at " +
                    std::to_string(static_cast<int>(o_.Rate())) + " events/s, every fault cleared, sent back to back";
    // Serialized before the clock starts; stamped now (the topology window
    // counts from these times, so the whole flood is one burst).
    const auto ser_start = SteadyClock::now();
    const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    std::vector<std::string> values(phase.script.size());
    tv1::FaultEvent e;
    for (size_t k = 0; k < phase.script.size(); ++k) {
      const PlannedFault& f = phase.script[k];
      e = MakeFault(city_.at(f.asset), f, kProducer);
      StampFault(e, FaultEventId(run_id_, phase_id, k), wall, wall);
      values[k] = e.SerializeAsString();
      phase.faults[k].wall_us = EpochMicros(wall);
    }
    out["serialize_s"] = Round3(Seconds(SteadyClock::now() - ser_start));
    const double applied_before = FaultsApplied(metrics_port);
    const auto hist_before = ScrapeHistograms(metrics_port);
    CpuWindow cpu;
    cpu.Start(service_pid);
    std::atomic<size_t>& acked = flood_acked_;
    acked = 0;
    const auto started = SteadyClock::now();
    for (size_t k = 0; k < phase.script.size(); ++k) {
      phase.faults[k].sent_ns = NowNs();
      Produce(faults_topic_, city_.at(phase.script[k].asset).id, values[k],
              [&acked, ack = AckInto(phase.acked_ns[k])](const common::DeliveryResult& r) {
                ack(r);
                if (r.status.ok()) acked.fetch_add(1, std::memory_order_relaxed);
              });
    }
    const double produced_s = Seconds(SteadyClock::now() - started);
    const size_t n = phase.script.size();
    std::optional<double> acked_s;
    std::optional<double> applied_s;
    double applied = 0;
    const auto deadline = started + std::chrono::minutes(10);
    while (SteadyClock::now() < deadline && !(acked_s && applied_s)) {
      if (!acked_s && acked.load() + delivery_failures_ >= n) acked_s = Seconds(SteadyClock::now() - started);
      applied = FaultsApplied(metrics_port) - applied_before;
      if (!applied_s && applied >= static_cast<double>(n)) applied_s = Seconds(SteadyClock::now() - started);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    WaitSeen(phase, reader);
    out["cpu"] = cpu.Finish(applied_s.value_or(Seconds(SteadyClock::now() - started)));
    out["produce_calls_s"] = Round3(produced_s);
    out["kafka_acked_s"] = acked_s ? json(Round3(*acked_s)) : json(nullptr);
    out["applied_s"] = applied_s ? json(Round3(*applied_s)) : json(nullptr);
    out["faults_applied"] = applied;
    out["faults_per_s"] = applied_s ? Round1(static_cast<double>(n) / *applied_s) : 0.0;
    {
      std::lock_guard lock(reader.mutex());
      int64_t last = 0;
      for (const auto& r : phase.faults) last = std::max(last, r.seen_ns);
      const double e2e_s = last > 0 ? static_cast<double>(last - phase.faults.front().sent_ns) / 1e9 : 0;
      out["incident_events_s"] = Round3(e2e_s);
      out["end_to_end_faults_per_s"] = e2e_s > 0 && phase.seen == n ? Round1(static_cast<double>(n) / e2e_s) : 0.0;
    }
    Report(phase, reader, out, -1);
    out["service"] = ScrapeHistograms(metrics_port).Since(hist_before);
    out["service_vmrss_mb_after"] = StatusMb(service_pid, "VmRSS");
    out["quiet_wait_s"] = WaitQuiet(metrics_port);
    return out;
  }

  size_t delivery_failures() const { return delivery_failures_; }

 private:
  Phase& NewPhase(int phase_id, IncidentReader& reader, double rate, double duration_s) {
    return NewPhase(phase_id, reader,
                    writer_.Write(rate, duration_s, PhaseSeed(o_.seed, static_cast<uint64_t>(phase_id))));
  }
  Phase& NewPhase(int phase_id, IncidentReader& reader, std::vector<PlannedFault> script) {
    auto phase = std::make_unique<Phase>();
    phase->script = std::move(script);
    phase->faults.resize(phase->script.size());
    phase->acked_ns = std::make_unique<std::atomic<int64_t>[]>(phase->script.size());
    Phase& ref = *phase;
    phases_.push_back(std::move(phase));
    reader.Add(phase_id, &ref);
    return ref;
  }

  // Produces one fault, counting a failed delivery.
  void Produce(const std::string& topic, const std::string& key, const std::string& value,
               common::DeliveryCallback done) {
    ProduceWaiting(*producer_, topic, key, value, [this, done](const common::DeliveryResult& r) {
      if (!r.status.ok()) ++delivery_failures_;
      done(r);
    });
  }

  // Stamps and sends one fault of a paced phase now.
  void Send(Phase& phase, int phase_id, size_t k, tv1::FaultEvent& e) {
    const PlannedFault& f = phase.script[k];
    FaultRecord& r = phase.faults[k];
    const auto wall = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    const auto since = f.raise_of >= 0 ? common::FromEpochMicros(phase.faults[static_cast<size_t>(f.raise_of)].wall_us)
                                       : common::TimePoint(wall);
    StampFault(e, FaultEventId(run_id_, phase_id, k), wall, since);
    r.wall_us = EpochMicros(wall);
    const std::string value = e.SerializeAsString();
    r.sent_ns = NowNs();
    Produce(faults_topic_, e.asset_id(), value, AckInto(phase.acked_ns[k]));
  }

  // Records when Kafka acknowledged a fault.
  static common::DeliveryCallback AckInto(std::atomic<int64_t>& slot) {
    return [&slot](const common::DeliveryResult& r) {
      if (r.status.ok()) slot.store(NowNs(), std::memory_order_relaxed);
    };
  }

  double FaultsApplied(int metrics_port) const {
    return ScrapeMetric(metrics_port, kMetric + "faults_in_total").value_or(0);
  }

  // Until every fault of the phase was named by an incident event, or none
  // came for 20 s.
  void WaitSeen(Phase& phase, IncidentReader& reader) {
    int64_t progress_ns = NowNs();
    size_t last_seen = 0;
    for (;;) {
      {
        std::lock_guard lock(reader.mutex());
        if (phase.seen == phase.faults.size()) return;
        if (phase.seen != last_seen) {
          last_seen = phase.seen;
          progress_ns = NowNs();
        }
      }
      if (NowNs() - progress_ns > int64_t{20'000'000'000}) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Latency and incidents of a phase into `out`. Latencies of the storm
  // proper (events sent before storm_s; all when negative) are the headline.
  void Report(Phase& phase, IncidentReader& reader, json& out, double storm_s) {
    std::lock_guard lock(reader.mutex());
    std::vector<double> storm, all, raised, cleared, apply_lag, kafka_ack;
    size_t missing_raised = 0, missing_cleared = 0;
    std::map<std::string, size_t> first_change;
    // (total, kafka ack, to the service's apply, index) of every fault seen.
    std::vector<std::tuple<double, double, double, size_t>> parts;
    // Storm latencies by 10 s of sending.
    std::map<int, std::vector<double>> windows;
    for (size_t k = 0; k < phase.faults.size(); ++k) {
      const FaultRecord& r = phase.faults[k];
      const PlannedFault& f = phase.script[k];
      const int64_t acked = phase.acked_ns[k].load(std::memory_order_relaxed);
      const double ack_ms = acked > 0 ? static_cast<double>(acked - r.sent_ns) / 1e6 : -1;
      if (acked > 0) kafka_ack.push_back(ack_ms);
      if (r.seen_ns == 0) {
        ++(f.raised ? missing_raised : missing_cleared);
        continue;
      }
      const double ms = static_cast<double>(r.seen_ns - r.sent_ns) / 1e6;
      const double to_apply_ms = static_cast<double>(r.apply_lag_us) / 1e3;
      all.push_back(ms);
      (f.raised ? raised : cleared).push_back(ms);
      if (storm_s < 0 || f.at_s < storm_s) storm.push_back(ms);
      if (storm_s >= 0) windows[static_cast<int>(f.at_s / 10)].push_back(ms);
      apply_lag.push_back(to_apply_ms);
      parts.emplace_back(ms, ack_ms, to_apply_ms, k);
      ++first_change[iv1::IncidentChange_Name(r.change)];
    }
    out["latency_ms"] = Summary(storm);
    out["kafka_ack_ms"] = Summary(kafka_ack);
    if (!windows.empty()) {
      json timeline = json::array();
      for (const auto& [w, ms] : windows) {
        timeline.push_back({{"from_s", w * 10},
                            {"count", ms.size()},
                            {"p50", Round1(Percentile(ms, 50))},
                            {"p99", Round1(Percentile(ms, 99))},
                            {"max", Round1(Percentile(ms, 100))}});
      }
      out["latency_ms_by_10s"] = timeline;
    }
    // Where the slowest hundredth spent its time: before Kafka acknowledged
    // the fault, before the service began applying it, and after.
    std::sort(parts.rbegin(), parts.rend());
    if (!parts.empty()) {
      const size_t slow_n = std::max<size_t>(1, parts.size() / 100);
      std::vector<double> s_total, s_ack, s_apply;
      for (size_t i = 0; i < slow_n; ++i) {
        s_total.push_back(std::get<0>(parts[i]));
        s_ack.push_back(std::get<1>(parts[i]));
        s_apply.push_back(std::get<2>(parts[i]));
      }
      out["slowest_hundredth"] = {{"count", slow_n},
                                  {"total_ms_median", Round1(Median(s_total))},
                                  {"kafka_ack_ms_median", Round1(Median(s_ack))},
                                  {"to_service_apply_ms_median", Round1(Median(s_apply))}};
      json slowest = json::array();
      for (size_t i = 0; i < parts.size() && i < 10; ++i) {
        const auto& [ms, ack_ms, to_apply_ms, k] = parts[i];
        const PlannedFault& f = phase.script[k];
        slowest.push_back({{"at_s", Round3(f.at_s)},
                           {"category", CategoryName(f.category)},
                           {"raised", f.raised},
                           {"total_ms", Round1(ms)},
                           {"kafka_ack_ms", Round1(ack_ms)},
                           {"to_service_apply_ms", Round1(to_apply_ms)},
                           {"change", iv1::IncidentChange_Name(phase.faults[k].change)}});
      }
      out["slowest"] = slowest;
    }
    if (storm_s >= 0) out["latency_ms_with_recovery_tail"] = Summary(all);
    out["latency_ms_raised"] = Summary(raised);
    out["latency_ms_cleared"] = Summary(cleared);
    out["fault_to_service_apply_ms"] = Summary(apply_lag);
    out["first_incident_change"] = first_change;
    out["missing"] = {{"raised", missing_raised}, {"cleared", missing_cleared}};
    const size_t raised_n = out["raised"].get<size_t>();
    out["incidents"] = {
        {"opened", phase.opened},
        {"opened_by_rule", phase.opened_by_rule},
        {"merged_into_another", phase.merged},
        {"standing", phase.opened - phase.merged},
        {"incident_events", phase.events},
        {"noise_reduction", raised_n > 0 ? Round3(1.0 - static_cast<double>(phase.opened) / raised_n) : 0.0},
        {"noise_reduction_standing",
         raised_n > 0 ? Round3(1.0 - static_cast<double>(phase.opened - phase.merged) / raised_n) : 0.0}};
  }

  const Options& o_;
  const sim::City& city_;
  Sandbox& sandbox_;
  std::string run_id_;
  StormWriter writer_;
  std::string faults_topic_;
  std::atomic<size_t> delivery_failures_{0};
  std::atomic<size_t> flood_acked_{0};  // outlives the flood: late delivery reports still land here
  std::vector<std::unique_ptr<Phase>> phases_;
  // Last: destroyed first, while what its delivery reports write to still exists.
  std::unique_ptr<common::KafkaProducer> producer_;
};

json CityJson(const sim::City& city, double scale) {
  json counts = json::object();
  for (int k = tv1::AssetKind_MIN; k <= tv1::AssetKind_MAX; ++k) {
    const auto kind = static_cast<tv1::AssetKind>(k);
    if (!tv1::AssetKind_IsValid(k) || kind == tv1::ASSET_KIND_UNSPECIFIED) continue;
    counts[tv1::AssetKind_Name(kind)] = city.CountOf(kind);
  }
  return {{"scale", scale}, {"assets", city.size()}, {"by_kind", counts}};
}

json LoadJson(const Options& o) {
  json mix = json::object();
  for (const auto& m : kMix) mix[m.name] = m.share;
  return {{"dijon_storm_events_per_s", kDijonStormEventsPerS},
          {"scale", o.scale},
          {"rate_events_per_s", o.Rate()},
          {"duration_s", o.duration_s},
          {"raised_share_by_category", mix},
          {"definition",
           "A storm at its height, chosen by the bench (the brief gives counts, not a fault rate): Dijon would see "
           "50 fault events/s (raised and cleared together), scaled by the city's size; see tests/bench/README.md"}};
}

// The number after "topology=" in the service's ready line, or -1.
long TopologyAtReady(const std::string& log_path) {
  const std::string text = ReadFile(log_path);
  const auto at = text.rfind("topology=");
  if (at == std::string::npos) return -1;
  return std::atol(text.c_str() + at + 9);
}

// Whether the service said it waited for another instance's writer's lock
// (its start-to-ready time then includes that wait).
bool WaitedForLock(const std::string& log_path) {
  return ReadFile(log_path).find("holds the writer's lock") != std::string::npos;
}

int Run(const Options& o) {
  const sim::City city = sim::GenerateCity({o.seed, o.scale, {}});
  if (o.plan_only) {
    StormWriter writer(city, o.seed);
    json plan = {{"city", CityJson(city, o.scale)}, {"load", LoadJson(o)}};
    json rounds = json::array();
    for (int r = 1; r <= o.rounds; ++r) {
      const auto storm = writer.Write(o.Rate(), o.duration_s, PhaseSeed(o.seed, static_cast<uint64_t>(2 * r - 1)));
      json round = {{"storm", DescribeScript(city, storm, o.duration_s)}};
      if (o.flood > 0) {
        const double virtual_s = static_cast<double>(o.flood) / o.Rate();
        round["flood"] = DescribeScript(
            city, writer.Write(o.Rate(), virtual_s, PhaseSeed(o.seed, static_cast<uint64_t>(2 * r))), virtual_s);
      }
      rounds.push_back(round);
    }
    plan["rounds"] = rounds;
    plan["assets_used"] = writer.Usage();
    std::cout << plan.dump(2) << "\n";
    return 0;
  }

  const RunSetup run = RunSetup::Prepare(o, "CITYOPS_INCIDENT_CORRELATION_PG_DSN", "cityops-correlation-bench",
                                         "incident-correlation.log", Usage);
  const StackEnv& env = run.env;
  const std::string& service_log = run.service_log;
  const std::string& ready_file = run.ready_file;

  json out;
  out["date"] = UtcNow();
  out["machine"] = MachineInfo();
  out["city"] = CityJson(city, o.scale);
  out["load"] = LoadJson(o);
  out["rounds_requested"] = o.rounds;
  out["flood_events_requested"] = o.flood;
  out["seed"] = o.seed;
  std::cout << "city: " << city.size() << " assets (" << o.scale << " x Dijon); storm " << o.Rate()
            << " fault events/s for " << o.duration_s << " s; flood " << o.flood << " events; " << o.rounds
            << " round(s)\n";

  Sandbox sandbox(env, "correlation-bench", o.topics_file, run.prefix, run.schema, o.keep);
  const std::vector<std::string> args = run.ServiceArgs(o);
  // The DSN (it holds a password) travels in the environment, not on the command line.
  const auto child_env = ServiceEnvironment({"CITYOPS_PG_DSN=" + env.service_dsn});

  auto first = std::make_unique<ServiceProcess>();
  std::unique_ptr<ServiceProcess> service;
  int exit_code = 0;
  try {
    // ---- start on the empty schema, load the topology
    const double ready_ms = first->StartUntilReady(o.service_binary, args, child_env, service_log, ready_file);
    ReadyPorts ports = ReadReadyFile(ready_file);
    out["ready_ms"] = Round1(ready_ms);
    out["ready_waited_for_writer_lock"] = WaitedForLock(service_log);
    out["rss_mb_at_ready"] = StatusMb(first->pid(), "VmRSS");
    std::cout << "service ready in " << std::fixed << std::setprecision(1) << ready_ms << " ms on an empty schema (pid "
              << first->pid() << ", schema " << run.schema << ", topics " << run.prefix << "*)\n";

    Bench bench(o, city, sandbox, run.run_id);
    out["topology"] = bench.LoadTopology(ports.metrics);
    out["topology"]["service_vmhwm_mb_while_loading"] = StatusMb(first->pid(), "VmHWM");

    // ---- restart on the loaded topology: ready time and memory with it
    if (o.restart) {
      const int first_exit = first->Stop(std::chrono::seconds(60));
      out["first_instance_exit_code"] = first_exit;
      if (first_exit != 0) {
        std::cerr << "correlation_bench: the first instance exited " << first_exit << "; its log:\n"
                  << LogTail(service_log, 30);
        exit_code = 1;
      }
      const std::string log2 = service_log + ".restart";
      service = std::make_unique<ServiceProcess>();
      const double again_ms = service->StartUntilReady(o.service_binary, args, child_env, log2, ready_file);
      ports = ReadReadyFile(ready_file);
      out["ready_ms_with_topology"] = Round1(again_ms);
      out["rss_mb_at_ready_with_topology"] = StatusMb(service->pid(), "VmRSS");
      out["topology_at_ready"] = TopologyAtReady(log2);
      out["ready_with_topology_waited_for_writer_lock"] = WaitedForLock(log2);
      std::cout << "restarted on the loaded topology: ready in " << again_ms << " ms, topology "
                << out["topology_at_ready"] << ", VmRSS " << out["rss_mb_at_ready_with_topology"] << " MiB\n";
    } else {
      service = std::move(first);
    }
    const std::string& log_now = o.restart ? service_log + ".restart" : service_log;

    // ---- rounds
    IncidentReader reader(env.bootstrap, sandbox.Topic(topics::kIncidents), sandbox.Partitions(topics::kIncidents),
                          run.run_id);
    out["warmup"] = bench.Warmup(reader);
    bench.WaitQuiet(ports.metrics);
    std::cout << "\nround  storm ev/s  events  p50 ms  p99 ms  max ms  missing  raised  opened  standing   "
                 "flood faults/s  busy\n";
    json rounds = json::array();
    std::vector<double> p50s, p99s, maxes, rates, e2e_rates;
    size_t missing = 0, raised = 0, opened = 0, standing = 0;
    for (int r = 1; r <= o.rounds; ++r) {
      json round = {{"round", r}};
      json storm = bench.Storm(2 * r - 1, reader, service->pid(), ports.metrics);
      p50s.push_back(storm["latency_ms"].value("p50", 0.0));
      p99s.push_back(storm["latency_ms"].value("p99", 0.0));
      maxes.push_back(storm["latency_ms"].value("max", 0.0));
      missing += storm["missing"]["raised"].get<size_t>() + storm["missing"]["cleared"].get<size_t>();
      raised += storm["raised"].get<size_t>();
      opened += storm["incidents"]["opened"].get<size_t>();
      standing += storm["incidents"]["standing"].get<size_t>();
      double flood_rate = 0;
      if (o.flood > 0) {
        json flood = bench.Flood(2 * r, reader, service->pid(), ports.metrics);
        flood_rate = flood["faults_per_s"].get<double>();
        rates.push_back(flood_rate);
        e2e_rates.push_back(flood["end_to_end_faults_per_s"].get<double>());
        missing += flood["missing"]["raised"].get<size_t>() + flood["missing"]["cleared"].get<size_t>();
        round["flood"] = flood;
      }
      std::cout << std::setw(5) << r << "  " << std::setw(10) << std::setprecision(1)
                << storm["offered_per_s_in_storm"].get<double>() << "  " << std::setw(6)
                << storm["events"].get<size_t>() << "  " << std::setw(6) << p50s.back() << "  " << std::setw(6)
                << p99s.back() << "  " << std::setw(6) << maxes.back() << "  " << std::setw(7)
                << storm["missing"]["raised"].get<size_t>() + storm["missing"]["cleared"].get<size_t>() << "  "
                << std::setw(6) << storm["raised"].get<size_t>() << "  " << std::setw(6)
                << storm["incidents"]["opened"].get<size_t>() << "  " << std::setw(8)
                << storm["incidents"]["standing"].get<size_t>() << "   " << std::setw(14) << std::setprecision(0)
                << flood_rate << "  " << storm["cpu"]["system_busy_pct"].get<double>() << "%\n";
      round["storm"] = storm;
      rounds.push_back(round);
    }
    out["rounds"] = rounds;

    // ---- the figures
    const double p50 = Median(p50s), p99 = Median(p99s), max_ms = Median(maxes);
    out["latency_ms"] = {{"p50", Round1(p50)},
                         {"p99", Round1(p99)},
                         {"max", Round1(max_ms)},
                         {"what", "median over the rounds of each storm's figure"}};
    out["latency_ms_worst_round"] = {{"p99", Round1(*std::max_element(p99s.begin(), p99s.end()))},
                                     {"max", Round1(*std::max_element(maxes.begin(), maxes.end()))}};
    out["faults_without_incident_event"] = missing;
    out["faults_per_s"] = Round1(Median(rates));
    out["end_to_end_faults_per_s"] = Round1(Median(e2e_rates));
    out["noise"] = {
        {"faults_raised", raised},
        {"incidents_opened", opened},
        {"incidents_standing", standing},
        {"noise_reduction", raised > 0 ? Round3(1.0 - static_cast<double>(opened) / raised) : 0.0},
        {"noise_reduction_standing", raised > 0 ? Round3(1.0 - static_cast<double>(standing) / raised) : 0.0},
        {"what", "storm phases of every round"}};
    const long hwm_kb = StatusKb(service->pid(), "VmHWM").value_or(0);
    out["rss_mb"] = Round1(static_cast<double>(hwm_kb) / 1024.0);
    out["vmrss_mb"] = StatusMb(service->pid(), "VmRSS");
    out["service_metrics"] =
        ScrapeCounters(ports.metrics, kMetric,
                       {"faults_in_total", "inputs_replayed_total", "messages_set_aside_total", "apply_failures_total",
                        "incidents_opened_total", "asset_events_in_total", "outbox_published_total",
                        "kafka_delivery_failures_total", "noise_reduction_ratio"});
    out["bench_delivery_failures"] = bench.delivery_failures();
    out["incident_events_read"] = reader.events();
    out["incident_events_undecodable"] = reader.undecodable();
    out["assets_used"] = bench.writer().Usage();

    const auto stop_at = SteadyClock::now();
    const int service_exit = service->Stop(std::chrono::seconds(60));
    out["stop_ms"] = Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count());
    out["service_exit_code"] = service_exit;
    const double ready_max = std::max(ready_ms, out.value("ready_ms_with_topology", 0.0));
    out["bars"] = {{"p99_ms_max", kBarP99Ms},
                   {"p99_ok", p99 < kBarP99Ms},
                   {"rss_mb_max_at_dijon_scale", kBarRssMb},
                   {"rss_ok", out["rss_mb"].get<double>() < kBarRssMb},
                   {"rss_scale", o.scale},
                   {"ready_ms_max", kBarReadyMs},
                   {"ready_ok", ready_max < kBarReadyMs}};

    std::cout << std::setprecision(1) << "\n"
              << "fault-to-incident latency, storm at " << o.Rate() << " events/s (median of " << o.rounds
              << " round(s)): p50 " << p50 << " ms, p99 " << p99 << " ms, max " << max_ms << " ms"
              << (p99 < kBarP99Ms ? "   (goal p99 < 250 ms: met)" : "   (goal p99 < 250 ms: NOT met)") << "\n"
              << "faults without any incident event: " << missing << "\n"
              << "faults/s through correlation (flood of " << o.flood << ", applied, median): " << std::setprecision(0)
              << Median(rates) << "; until every incident event was out: " << Median(e2e_rates) << "\n"
              << "noise: " << raised << " faults raised -> " << opened << " incidents opened (" << standing
              << " after merges)\n"
              << std::setprecision(1) << "service memory: VmHWM " << out["rss_mb"].get<double>() << " MiB, VmRSS "
              << out["vmrss_mb"].get<double>() << " MiB (bar 100 at Dijon scale; this is " << o.scale << " x)\n"
              << "service ready in " << ready_ms << " ms on an empty schema"
              << (o.restart ? ", " + std::to_string(static_cast<int>(out["ready_ms_with_topology"].get<double>())) +
                                  " ms restarting with the topology"
                            : std::string())
              << " (bar 2000)\n"
              << "service exit code " << service_exit << ", bench delivery failures " << bench.delivery_failures()
              << "\n";
    if (service_exit != 0) {
      std::cerr << "correlation_bench: the service's log tail:\n" << LogTail(log_now, 30);
      exit_code = 1;
    }
    if (bench.delivery_failures() > 0 || missing > 0) exit_code = 1;
  } catch (...) {
    if (service && service->Running()) service->Stop(std::chrono::seconds(20));
    if (first && first->Running()) first->Stop(std::chrono::seconds(20));
    run.Abort(sandbox);
    throw;
  }
  run.Finish(o, exit_code, sandbox, out);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName("correlation_bench");
  const Options options = ParseOptions(argc, argv);
  return BenchMain([&] { return Run(options); });
}
