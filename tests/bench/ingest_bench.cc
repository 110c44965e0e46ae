// ingest_bench: how many readings per second telemetry-ingest takes into Kafka
// with full acknowledgement, beside the raw producer ceiling of the same
// machine measured in the same run.
//
// It needs the local stack (CITYOPS_KAFKA_BOOTSTRAP, CITYOPS_PG_ADMIN_DSN) and
// the built service binary. It works in a fresh schema and freshly prefixed
// topics, starts the service as a child process, registers a Dijon-sized
// registry (34,000 light points on their control cabinets), then for each
// round measures side by side:
//   raw:     a plain librdkafka producer, with the service's producer settings,
//            writes N serialized TelemetryRecords (the bytes the service
//            writes) keyed by asset id to the readings topic until every
//            delivery report is in;
//   service: N valid readings in batches over concurrent StreamReadings
//            streams, several batches in flight per stream, until every
//            BatchAck came back (OK counted, anything else an error).
// The order of the two alternates between rounds. The service's own consumer
// of the readings topic (history into PostgreSQL) runs all along, as in
// production, beside both measurements; its progress is reported, and with
// --drain the bench waits (at most --drain-timeout) before each measurement
// until it caught up. Afterwards the service is restarted once on the loaded
// schema to time its ready again (--no-restart skips it). Medians of the
// rounds, the ratio, the service's memory (VmHWM), its start-to-ready time and
// where the CPU went (per process, per service thread) go to a JSON file and
// a table.
//
// Usage: ingest_bench [--json FILE] [--readings N] [--batch N] [--streams N]
//          [--inflight N] [--rounds N] [--assets N] [--service-binary PATH]
//          [--topics-file PATH] [--service-log FILE] [--service-log-level L]
//          [--service-arg ARG]... [--drain] [--drain-timeout SECONDS] [--stall-timeout SECONDS]
//          [--no-restart] [--keep]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafkacpp.h>
#include <pqxx/pqxx>

#include "bench_support.h"
#include "cityops/common/kafka.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"

namespace {

using namespace cityops::bench;  // NOLINT(google-build-using-namespace): the bench's own toolbox
namespace v1 = cityops::telemetry::v1;
namespace common = cityops::common;
namespace fs = std::filesystem;

#ifndef CITYOPS_BENCH_TOPICS_FILE
#define CITYOPS_BENCH_TOPICS_FILE "deploy/topics.json"
#endif
#ifndef CITYOPS_BENCH_SERVICE_BINARY
#define CITYOPS_BENCH_SERVICE_BINARY "telemetry-ingest"
#endif

// The quality bar of the brief.
constexpr double kBarReadingsPerS = 100000.0;
constexpr double kBarRssMb = 100.0;
constexpr double kBarReadyMs = 2000.0;

// Dijon's box and districts (the registry is generated inside it).
constexpr double kMinLat = 47.28, kMaxLat = 47.36, kMinLon = 4.98, kMaxLon = 5.10;
constexpr int kDistrictCols = 6, kDistrictRows = 4;  // 24 districts
constexpr size_t kLightsPerCabinet = 45;
constexpr size_t kRegisterChunk = 5000;

// ------------------------------------------------------------------ options

struct Options : CommonOptions {
  Options() {
    service_binary = CITYOPS_BENCH_SERVICE_BINARY;
    topics_file = CITYOPS_BENCH_TOPICS_FILE;
  }
  size_t readings = 2'000'000;
  size_t batch = 5000;
  int streams = 2;
  // Batches unacknowledged per stream; the service answers each as soon as
  // Kafka confirmed it and reads no further beyond its own window (8).
  int inflight = 16;
  int stall_timeout_s = 30;
  int rounds = 3;
  size_t assets = 34000;
  int drain_timeout_s = 120;
  bool drain = false;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "ingest_bench: " << problem << "\n"
            << "usage: ingest_bench [--json FILE] [--readings N] [--batch N] [--streams N] [--inflight N]\n"
            << "         [--rounds N] [--assets N] [--service-binary PATH] [--topics-file PATH]\n"
            << "         [--service-log FILE] [--service-log-level LEVEL] [--service-arg ARG]...\n"
            << "         [--drain] [--drain-timeout SECONDS] [--stall-timeout SECONDS] [--no-restart] [--keep]\n"
            << "needs CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN (deploy/local/stack.sh env)\n";
  std::exit(2);
}

uint64_t ParseCount(const std::string& name, const std::string& text) { return CountFlag(name, text, Usage); }

Options ParseOptions(int argc, char** argv) {
  Options o;
  auto bare = CommonOptions::BareFlags();
  bare.insert("drain");
  for (const auto& [name, v] : SplitFlags(argc, argv, bare, Usage)) {
    if (o.TakeFlag(name, v)) continue;
    if (name == "drain") {
      o.drain = true;
    } else if (name == "readings") {
      o.readings = ParseCount(name, v);
    } else if (name == "batch") {
      o.batch = ParseCount(name, v);
    } else if (name == "streams") {
      o.streams = static_cast<int>(ParseCount(name, v));
    } else if (name == "inflight") {
      o.inflight = static_cast<int>(ParseCount(name, v));
    } else if (name == "rounds") {
      o.rounds = static_cast<int>(ParseCount(name, v));
    } else if (name == "assets") {
      o.assets = ParseCount(name, v);
    } else if (name == "stall-timeout") {
      o.stall_timeout_s = static_cast<int>(ParseCount(name, v));
    } else if (name == "drain-timeout") {
      o.drain_timeout_s = static_cast<int>(ParseCount(name, v));
    } else {
      Usage("unknown flag --" + name);
    }
  }
  if (o.readings == 0) Usage("--readings must be positive");
  if (o.batch == 0 || o.batch > 10000) Usage("--batch must be within 1..10000 (the service's limit)");
  if (o.streams < 1 || o.streams > 64) Usage("--streams must be within 1..64");
  if (o.inflight < 1 || o.inflight > 256) Usage("--inflight must be within 1..256");
  if (o.rounds < 1 || o.rounds > 50) Usage("--rounds must be within 1..50");
  if (o.assets < 1 || o.assets > 1'000'000) Usage("--assets must be within 1..1000000");
  return o;
}

// ------------------------------------------------------------------ the city

struct City {
  std::vector<v1::Asset> cabinets;
  std::vector<v1::Asset> lights;
  std::vector<std::string> light_ids;
};

int DistrictOf(double lat, double lon) {
  const int col =
      std::clamp(static_cast<int>((lon - kMinLon) / ((kMaxLon - kMinLon) / kDistrictCols)), 0, kDistrictCols - 1);
  const int row =
      std::clamp(static_cast<int>((lat - kMinLat) / ((kMaxLat - kMinLat) / kDistrictRows)), 0, kDistrictRows - 1);
  return row * kDistrictCols + col + 1;
}

// Deterministic: cabinets spread over the box, light points around their cabinet.
City MakeCity(size_t light_count) {
  City city;
  std::mt19937_64 gen(2024);
  std::uniform_real_distribution<double> lat_d(kMinLat + 0.002, kMaxLat - 0.002);
  std::uniform_real_distribution<double> lon_d(kMinLon + 0.002, kMaxLon - 0.002);
  std::uniform_real_distribution<double> around(-0.002, 0.002);
  const size_t cabinets = (light_count + kLightsPerCabinet - 1) / kLightsPerCabinet;
  char id[32];
  for (size_t c = 0; c < cabinets; ++c) {
    v1::Asset a;
    std::snprintf(id, sizeof id, "cab-%05zu", c + 1);
    a.set_id(id);
    a.set_kind(v1::ASSET_KIND_CONTROL_CABINET);
    a.mutable_location()->set_lat(lat_d(gen));
    a.mutable_location()->set_lon(lon_d(gen));
    a.set_district(DistrictOf(a.location().lat(), a.location().lon()));
    a.set_reporting_interval_s(60);
    city.cabinets.push_back(std::move(a));
  }
  for (size_t i = 0; i < light_count; ++i) {
    const v1::Asset& cabinet = city.cabinets[i / kLightsPerCabinet];
    v1::Asset a;
    std::snprintf(id, sizeof id, "lp-%06zu", i + 1);
    a.set_id(id);
    a.set_kind(v1::ASSET_KIND_LIGHT_POINT);
    a.set_parent_id(cabinet.id());
    a.mutable_location()->set_lat(std::clamp(cabinet.location().lat() + around(gen), kMinLat, kMaxLat));
    a.mutable_location()->set_lon(std::clamp(cabinet.location().lon() + around(gen), kMinLon, kMaxLon));
    a.set_district(cabinet.district());
    a.set_reporting_interval_s(60);
    a.set_rated_watts(40);
    a.set_baseline_watts(150);
    city.light_ids.push_back(a.id());
    city.lights.push_back(std::move(a));
  }
  return city;
}

// Reading g of a measurement: light point g % assets, power 30..45 W, at
// `base` plus (g / assets) microseconds, so that (asset, metric, time) is
// unique across the whole run (each measurement has its own base).
struct ReadingPlan {
  const std::vector<std::string>* ids;
  common::TimePoint base;

  void Fill(v1::Reading& r, size_t g) const {
    const size_t n = ids->size();
    r.set_asset_id((*ids)[g % n]);
    *r.mutable_time() = common::ToProtoTime(base + std::chrono::microseconds(g / n));
    r.set_value(30.0 + static_cast<double>(g % 151) / 10.0);
  }
};

common::TimePoint MicrosNow() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// ------------------------------------------------------------------ raw producer ceiling

class CountingReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      if (failed.fetch_add(1, std::memory_order_relaxed) == 0) first_error = message.errstr();
    }
  }
  std::atomic<size_t> ok{0}, failed{0};
  std::string first_error;
};

class RawProducer {
 public:
  explicit RawProducer(const std::string& bootstrap, const std::string& topic) : topic_(topic) {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    // The service's producer settings (services/common KafkaProducer).
    const std::vector<std::pair<std::string, std::string>> settings = {
        {"bootstrap.servers", bootstrap},
        {"client.id", "ingest-bench-raw"},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"compression.type", "lz4"},
        {"linger.ms", "5"},
        {"batch.num.messages", "10000"},
        {"batch.size", "1000000"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "1048576"},
    };
    for (const auto& [k, v] : settings) {
      if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) throw std::runtime_error("Kafka " + k + ": " + err);
    }
    conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&reports_), err);
    producer_.reset(RdKafka::Producer::create(conf.get(), err));
    if (producer_ == nullptr) throw std::runtime_error("raw producer: " + err);
    // Warm up: the topic's metadata, and the idempotent producer id.
    std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(producer_.get(), topic_, nullptr, err));
    RdKafka::Metadata* md = nullptr;
    producer_->metadata(false, t.get(), &md, 10000);
    delete md;
    for (int i = 0; i < 10; ++i) producer_->poll(50);
  }
  ~RawProducer() {
    if (producer_) producer_->flush(10000);
  }

  struct Result {
    double seconds = 0;
    size_t delivered = 0;
    size_t failed = 0;
    std::string first_error;
    size_t bytes = 0;
  };

  // Serializes N records (outside the clock), then produces them all and
  // waits for every delivery report.
  Result Run(const ReadingPlan& plan, size_t n) {
    std::string buffer;
    std::vector<size_t> ends;
    ends.reserve(n);
    {
      v1::TelemetryRecord record;
      *record.mutable_received_at() = common::ToProtoTime(std::chrono::system_clock::now());
      auto* reading = record.mutable_reading();
      reading->set_metric("power_w");
      for (size_t g = 0; g < n; ++g) {
        plan.Fill(*reading, g);
        record.AppendToString(&buffer);
        ends.push_back(buffer.size());
      }
    }
    reports_.ok = 0;
    reports_.failed = 0;
    Result result;
    result.bytes = buffer.size();
    const size_t assets = plan.ids->size();
    const auto started = SteadyClock::now();
    size_t begin = 0;
    for (size_t g = 0; g < n; ++g) {
      const std::string& key = (*plan.ids)[g % assets];
      for (;;) {
        const auto err = producer_->produce(topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                            buffer.data() + begin, ends[g] - begin, key.data(), key.size(), 0, nullptr);
        if (err == RdKafka::ERR_NO_ERROR) break;
        if (err != RdKafka::ERR__QUEUE_FULL) throw std::runtime_error("raw produce: " + RdKafka::err2str(err));
        producer_->poll(1);
      }
      begin = ends[g];
      if ((g & 1023) == 0) producer_->poll(0);
    }
    const auto deadline = SteadyClock::now() + std::chrono::minutes(5);
    while (reports_.ok + reports_.failed < n && SteadyClock::now() < deadline) producer_->poll(10);
    result.seconds = Seconds(SteadyClock::now() - started);
    result.delivered = reports_.ok;
    result.failed = reports_.failed;
    result.first_error = reports_.first_error;
    return result;
  }

 private:
  std::string topic_;
  CountingReports reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// ------------------------------------------------------------------ through the service

struct ServiceResult {
  double seconds = 0;
  size_t batches_sent = 0;
  size_t batches_ok = 0;
  size_t readings_acked = 0;
  size_t errors = 0;  // non-OK acks, out-of-order or short acks, broken streams
  std::map<int, size_t> error_codes;
  std::string first_error;
  std::vector<double> ack_ms;  // send to ack, per batch
  bool stalled = false;        // no ack for --stall-timeout with batches outstanding
  std::string stall;
};

// Each stream has a writer thread (at most --inflight batches unacknowledged)
// and a reader thread. A watchdog cancels the streams when one has batches
// outstanding and got no ack for --stall-timeout (a guard: services before
// the writer-thread fix answered a batch only after reading the next one).
ServiceResult RunThroughService(const std::vector<std::shared_ptr<grpc::Channel>>& channels, const ReadingPlan& plan,
                                const Options& o) {
  const size_t n = o.readings;
  const size_t batches = (n + o.batch - 1) / o.batch;
  std::atomic<size_t> next_batch{0};
  std::mutex result_mutex;
  ServiceResult result;
  auto note_error = [&](const std::string& what, int code) {
    std::lock_guard lock(result_mutex);
    ++result.errors;
    ++result.error_codes[code];
    if (result.first_error.empty()) result.first_error = what;
  };

  struct Sent {
    uint64_t id;
    uint32_t count;
    SteadyClock::time_point at;
  };
  struct Stream {
    std::unique_ptr<v1::TelemetryIngest::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<v1::ReadingBatch, v1::BatchAck>> rw;
    std::mutex mutex;
    std::deque<Sent> sent;
    std::unique_ptr<std::counting_semaphore<1024>> slots;
    SteadyClock::time_point last_ack;
    std::atomic<int64_t> last_progress_ns{0};
    std::vector<double> ack_ms;
    size_t acked = 0, ok_batches = 0, sent_batches = 0;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  for (int s = 0; s < o.streams; ++s) {
    auto st = std::make_unique<Stream>();
    st->stub = v1::TelemetryIngest::NewStub(channels[static_cast<size_t>(s) % channels.size()]);
    st->context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(15));
    st->slots = std::make_unique<std::counting_semaphore<1024>>(o.inflight);
    streams.push_back(std::move(st));
  }

  const auto started = SteadyClock::now();
  auto now_ns = [] { return SteadyClock::now().time_since_epoch().count(); };
  for (auto& st : streams) {
    st->rw = st->stub->StreamReadings(&st->context);
    st->last_progress_ns = now_ns();
  }
  std::vector<std::thread> threads;
  for (auto& stp : streams) {
    Stream* st = stp.get();
    threads.emplace_back([&, st] {  // writer
      v1::ReadingBatch batch;
      for (;;) {
        const size_t k = next_batch.fetch_add(1);
        if (k >= batches) break;
        const size_t first = k * o.batch;
        const size_t count = std::min(o.batch, n - first);
        st->slots->acquire();
        batch.set_batch_id(k + 1);
        auto* readings = batch.mutable_readings();
        while (static_cast<size_t>(readings->size()) > count) readings->RemoveLast();
        while (static_cast<size_t>(readings->size()) < count) readings->Add()->set_metric("power_w");
        for (size_t i = 0; i < count; ++i) plan.Fill(*readings->Mutable(static_cast<int>(i)), first + i);
        {
          std::lock_guard lock(st->mutex);
          st->sent.push_back({k + 1, static_cast<uint32_t>(count), SteadyClock::now()});
        }
        if (!st->rw->Write(batch)) {
          note_error("stream broken while writing batch " + std::to_string(k + 1), -1);
          break;
        }
        ++st->sent_batches;
      }
      st->rw->WritesDone();
    });
    threads.emplace_back([&, st] {  // reader
      v1::BatchAck ack;
      while (st->rw->Read(&ack)) {
        const auto now = SteadyClock::now();
        Sent front{};
        {
          std::lock_guard lock(st->mutex);
          if (st->sent.empty()) {
            note_error("an ack for a batch never sent: " + std::to_string(ack.batch_id()), -2);
            continue;
          }
          front = st->sent.front();
          st->sent.pop_front();
        }
        st->last_ack = now;
        st->last_progress_ns = now_ns();
        st->ack_ms.push_back(std::chrono::duration<double, std::milli>(now - front.at).count());
        if (ack.batch_id() != front.id) {
          note_error("ack for batch " + std::to_string(ack.batch_id()) + " where " + std::to_string(front.id) +
                         " was expected",
                     -3);
        } else if (ack.code() != 0) {
          note_error(
              "batch " + std::to_string(ack.batch_id()) + ": code " + std::to_string(ack.code()) + " " + ack.message(),
              ack.code());
        } else if (ack.accepted() != front.count) {
          note_error("batch " + std::to_string(ack.batch_id()) + ": " + std::to_string(ack.accepted()) +
                         " accepted of " + std::to_string(front.count),
                     -4);
        } else {
          st->acked += ack.accepted();
          ++st->ok_batches;
        }
        st->slots->release();
      }
    });
  }
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    const auto limit = std::chrono::duration_cast<SteadyClock::duration>(std::chrono::seconds(o.stall_timeout_s));
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (size_t i = 0; i < streams.size(); ++i) {
        auto& st = *streams[i];
        size_t outstanding = 0;
        {
          std::lock_guard lock(st.mutex);
          outstanding = st.sent.size();
        }
        if (outstanding == 0 || now_ns() - st.last_progress_ns.load() < limit.count()) continue;
        {
          std::lock_guard lock(result_mutex);
          if (!result.stalled) {
            result.stalled = true;
            result.stall = "stream " + std::to_string(i + 1) + ": " + std::to_string(outstanding) +
                           " batch(es) sent and unacknowledged, no ack for " + std::to_string(o.stall_timeout_s) +
                           " s: streams cancelled";
          }
        }
        for (auto& other : streams) other->context.TryCancel();
        for (auto& other : streams) other->slots->release(o.inflight);  // unblock the writers
        return;
      }
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  watchdog.join();
  SteadyClock::time_point last = started;
  for (auto& st : streams) {
    const grpc::Status status = st->rw->Finish();
    if (!status.ok()) {
      note_error("StreamReadings ended with " + std::to_string(status.error_code()) + " " + status.error_message(),
                 static_cast<int>(status.error_code()));
    }
    if (!st->sent.empty()) note_error(std::to_string(st->sent.size()) + " batch(es) never acknowledged", -5);
    last = std::max(last, st->last_ack);
    result.batches_sent += st->sent_batches;
    result.batches_ok += st->ok_batches;
    result.readings_acked += st->acked;
    result.ack_ms.insert(result.ack_ms.end(), st->ack_ms.begin(), st->ack_ms.end());
  }
  result.seconds = Seconds(last - started);
  return result;
}

// ------------------------------------------------------------------ the run

// Waits until the service's consumer has committed everything on the topic.
// Returns seconds waited and the lag left (0 when caught up).
std::pair<double, int64_t> WaitIdle(TopicWatch& watch, int timeout_s) {
  const auto started = SteadyClock::now();
  const auto deadline = started + std::chrono::seconds(timeout_s);
  int64_t lag = watch.Lag();
  while (lag != 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    lag = watch.Lag();
  }
  return {Seconds(SteadyClock::now() - started), lag};
}

int Run(const Options& o) {
  const RunSetup run =
      RunSetup::Prepare(o, "CITYOPS_TELEMETRY_INGEST_PG_DSN", "cityops-ingest-bench", "telemetry-ingest.log", Usage);
  const StackEnv& env = run.env;
  const std::string& prefix = run.prefix;
  const std::string& schema = run.schema;
  const std::string& ready_file = run.ready_file;
  const std::string& service_log = run.service_log;
  const std::string readings_topic = cityops::topics::Full(prefix, cityops::topics::kTelemetryReadings);
  const std::string group = prefix + "telemetry-ingest";  // the service's default group for its prefix

  json out;
  out["date"] = UtcNow();
  out["machine"] = MachineInfo();
  out["readings"] = o.readings;
  out["batch"] = o.batch;
  out["streams"] = o.streams;
  out["inflight_per_stream"] = o.inflight;
  out["assets"] = o.assets;

  // ---- topics and schema
  Sandbox sandbox(env, "ingest-bench", o.topics_file, prefix, schema, o.keep);
  const int readings_partitions = sandbox.Partitions(cityops::topics::kTelemetryReadings);

  ServiceProcess service;
  int exit_code = 0;
  try {
    // ---- start the service, time it to ready
    const std::vector<std::string> args = run.ServiceArgs(o);
    // The DSN (it holds a password) travels in the environment, not on the command line.
    const auto child_env = ServiceEnvironment({"CITYOPS_PG_DSN=" + env.service_dsn});
    // Starts the service and returns the time from fork to its ready file.
    auto start_service = [&](ServiceProcess& process, const std::string& log_path) {
      return process.StartUntilReady(o.service_binary, args, child_env, log_path, ready_file);
    };
    const double ready_ms = start_service(service, service_log);
    const ReadyPorts ports = ReadReadyFile(ready_file);
    const int grpc_port = ports.grpc;
    const int metrics_port = ports.metrics;
    out["ready_ms"] = Round1(ready_ms);
    out["rss_mb_at_ready"] = StatusMb(service.pid(), "VmRSS");
    std::cout << "service ready in " << std::fixed << std::setprecision(1) << ready_ms << " ms (pid " << service.pid()
              << ", grpc port " << grpc_port << ", schema " << schema << ", topics " << prefix << "*)\n";

    // One channel (its own TCP connection) per stream, as separate gateways would have.
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int s = 0; s < o.streams; ++s) {
      grpc::ChannelArguments ch_args;
      ch_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      ch_args.SetMaxReceiveMessageSize(-1);
      ch_args.SetMaxSendMessageSize(-1);
      auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(grpc_port),
                                               grpc::InsecureChannelCredentials(), ch_args);
      if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
        throw std::runtime_error("cannot connect to the service's gRPC port");
      }
      channels.push_back(std::move(channel));
    }

    // ---- the registry
    const City city = MakeCity(o.assets);
    {
      auto stub = v1::TelemetryIngest::NewStub(channels[0]);
      const auto reg_start = SteadyClock::now();
      size_t registered = 0;
      auto send = [&](const std::vector<v1::Asset>& assets) {
        for (size_t i = 0; i < assets.size(); i += kRegisterChunk) {
          v1::RegisterAssetsRequest req;
          for (size_t j = i; j < std::min(assets.size(), i + kRegisterChunk); ++j) *req.add_assets() = assets[j];
          v1::RegisterAssetsResponse resp;
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
          const auto status = stub->RegisterAssets(&ctx, req, &resp);
          if (!status.ok()) {
            throw std::runtime_error("RegisterAssets: " + std::to_string(status.error_code()) + " " +
                                     status.error_message());
          }
          if (resp.registered() + resp.unchanged() != static_cast<uint32_t>(req.assets_size())) {
            throw std::runtime_error("RegisterAssets answered " + std::to_string(resp.registered()) + "+" +
                                     std::to_string(resp.unchanged()) + " for " + std::to_string(req.assets_size()));
          }
          registered += resp.registered();
        }
      };
      send(city.cabinets);
      send(city.lights);
      const double reg_s = Seconds(SteadyClock::now() - reg_start);
      out["registry"] = {{"cabinets", city.cabinets.size()},
                         {"light_points", city.lights.size()},
                         {"registered", registered},
                         {"seconds", Round3(reg_s)},
                         {"assets_per_s", Round1(static_cast<double>(registered) / reg_s)}};
      std::cout << "registered " << city.cabinets.size() << " cabinets and " << city.lights.size()
                << " light points in " << std::setprecision(2) << reg_s << " s\n";
    }

    // ---- rounds
    TopicWatch watch(env.bootstrap, readings_topic, readings_partitions, group, "ingest-bench-watch");
    RawProducer raw(env.bootstrap, readings_topic);
    const double applied_at_start =
        ScrapeMetric(metrics_port, "cityops_telemetry_ingest_records_applied_total").value_or(0);
    const auto rounds_started = SteadyClock::now();
    std::vector<double> raw_rates, svc_rates;
    size_t total_errors = 0;
    bool counts_ok = true;
    json rounds = json::array();
    std::cout << "\nround  first    raw/s        service/s    ratio  svc-errors  ack p50/p99 ms   machine busy\n";
    for (int r = 1; r <= o.rounds; ++r) {
      json round = {{"round", r}};
      const bool raw_first = (r % 2) == 1;
      round["order"] = raw_first ? "raw,service" : "service,raw";
      double raw_rate = 0, svc_rate = 0;
      double svc_busy = 0;
      ServiceResult svc_copy;
      for (int phase = 0; phase < 2; ++phase) {
        const bool is_raw = (phase == 0) == raw_first;
        json m;
        if (o.drain) {
          const auto [waited, lag] = WaitIdle(watch, o.drain_timeout_s);
          m["idle_wait_s"] = Round3(waited);
          if (lag != 0) {
            m["lag_at_start"] = lag;
            std::cerr << "ingest_bench: the service's consumer is still " << lag << " behind after "
                      << o.drain_timeout_s << " s; measuring anyway\n";
          }
        }
        const int64_t before = watch.Messages();
        const ReadingPlan plan{&city.light_ids, MicrosNow()};
        CpuWindow cpu;
        cpu.Start(service.pid());
        if (is_raw) {
          const auto res = raw.Run(plan, o.readings);
          raw_rate = static_cast<double>(res.delivered) / res.seconds;
          m["per_s"] = Round1(raw_rate);
          m["seconds"] = Round3(res.seconds);
          m["delivered"] = res.delivered;
          m["failed"] = res.failed;
          m["payload_mb"] = Round1(static_cast<double>(res.bytes) / (1024.0 * 1024.0));
          if (res.failed > 0) {
            m["first_error"] = res.first_error;
            counts_ok = false;
          }
          m["cpu"] = cpu.Finish(res.seconds);
        } else {
          auto res = RunThroughService(channels, plan, o);
          svc_rate = static_cast<double>(res.readings_acked) / res.seconds;
          m["per_s"] = Round1(svc_rate);
          m["seconds"] = Round3(res.seconds);
          m["batches_sent"] = res.batches_sent;
          m["batches_ok"] = res.batches_ok;
          m["readings_acked"] = res.readings_acked;
          m["errors"] = res.errors;
          if (res.stalled) {
            m["stalled"] = res.stall;
            std::cerr << "ingest_bench: round " << r << ": STALLED: " << res.stall << "\n";
          }
          if (res.errors > 0) {
            json codes = json::object();
            for (const auto& [code, count] : res.error_codes) codes[std::to_string(code)] = count;
            m["error_codes"] = codes;
            m["first_error"] = res.first_error;
          }
          m["ack_ms"] = {{"p50", Round1(Percentile(res.ack_ms, 50))},
                         {"p99", Round1(Percentile(res.ack_ms, 99))},
                         {"max", Round1(Percentile(res.ack_ms, 100))}};
          m["cpu"] = cpu.Finish(res.seconds);
          const double svc_cpu = m["cpu"]["service_cpu_s"].get<double>();
          m["service_cpu_us_per_reading"] =
              res.readings_acked > 0 ? Round3(svc_cpu * 1e6 / static_cast<double>(res.readings_acked)) : 0.0;
          svc_busy = m["cpu"]["system_busy_pct"].get<double>();
          total_errors += res.errors;
          if (res.readings_acked != o.readings) counts_ok = false;
          svc_copy = std::move(res);
        }
        m["service_vmrss_mb_after"] = StatusMb(service.pid(), "VmRSS");
        // Sanity: what reached the topic is what was sent (no loss, no duplicate).
        const int64_t after = watch.Messages();
        m["topic_messages_added"] = after - before;
        if (after - before != static_cast<int64_t>(o.readings)) {
          counts_ok = false;
          std::cerr << "ingest_bench: round " << r << " " << (is_raw ? "raw" : "service") << ": the topic grew by "
                    << (after - before) << ", " << o.readings << " sent\n";
        }
        round[is_raw ? "raw" : "service"] = m;
      }
      raw_rates.push_back(raw_rate);
      svc_rates.push_back(svc_rate);
      round["raw_producer_per_s"] = Round1(raw_rate);
      round["readings_per_s"] = Round1(svc_rate);
      round["ratio"] = raw_rate > 0 ? Round3(svc_rate / raw_rate) : 0.0;
      rounds.push_back(round);
      std::cout << std::setw(5) << r << "  " << std::setw(7) << std::left << (raw_first ? "raw" : "service")
                << std::right << std::setw(11) << std::setprecision(0) << raw_rate << "  " << std::setw(11) << svc_rate
                << "  " << std::setw(5) << std::setprecision(3) << (raw_rate > 0 ? svc_rate / raw_rate : 0) << "  "
                << std::setw(10) << svc_copy.errors << "  " << std::setw(6) << std::setprecision(0)
                << Percentile(svc_copy.ack_ms, 50) << " / " << std::setw(6) << Percentile(svc_copy.ack_ms, 99) << "   "
                << std::setprecision(0) << svc_busy << "%\n";
    }
    // The service's history writer (its consumer of the readings topic, into
    // PostgreSQL) ran beside every measurement: how far it got.
    {
      const double rounds_s = Seconds(SteadyClock::now() - rounds_started);
      const double applied =
          ScrapeMetric(metrics_port, "cityops_telemetry_ingest_records_applied_total").value_or(0) - applied_at_start;
      const int64_t produced = watch.Messages();
      const int64_t lag = watch.Lag();
      out["history_consumer"] = {{"records_applied", applied},
                                 {"seconds", Round3(rounds_s)},
                                 {"applied_per_s", Round1(applied / rounds_s)},
                                 {"topic_messages", produced},
                                 {"lag_at_end", lag}};
      std::cout << "history consumer: " << std::setprecision(0) << applied << " records applied to PostgreSQL in "
                << rounds_s << " s (" << applied / rounds_s << "/s), " << lag << " of " << produced
                << " still behind\n";
    }
    if (o.drain) {
      const auto [waited, lag] = WaitIdle(watch, o.drain_timeout_s);
      out["final_idle_wait_s"] = Round3(waited);
      out["final_lag"] = lag;
    }

    // ---- memory, the service's own accounting, stop
    const long hwm_kb = StatusKb(service.pid(), "VmHWM").value_or(0);
    const long rss_kb = StatusKb(service.pid(), "VmRSS").value_or(0);
    const double readings_per_s = Median(svc_rates);
    const double raw_per_s = Median(raw_rates);
    out["readings_per_s"] = Round1(readings_per_s);
    out["raw_producer_per_s"] = Round1(raw_per_s);
    out["ratio"] = raw_per_s > 0 ? Round3(readings_per_s / raw_per_s) : 0.0;
    out["rss_mb"] = Round1(static_cast<double>(hwm_kb) / 1024.0);
    out["vmrss_mb"] = Round1(static_cast<double>(rss_kb) / 1024.0);
    out["vmhwm_mb"] = Round1(static_cast<double>(hwm_kb) / 1024.0);
    out["rounds"] = rounds;
    json service_metrics = json::object();
    for (const char* name :
         {"cityops_telemetry_ingest_readings_accepted_total", "cityops_telemetry_ingest_readings_rejected_total",
          "cityops_telemetry_ingest_batches_unconfirmed_total", "cityops_telemetry_ingest_records_applied_total",
          "cityops_telemetry_ingest_records_dropped_total", "cityops_telemetry_ingest_kafka_delivery_failures_total"}) {
      if (auto v = ScrapeMetric(metrics_port, name)) service_metrics[name] = *v;
    }
    out["service_metrics"] = service_metrics;
    const double accepted = service_metrics.value("cityops_telemetry_ingest_readings_accepted_total", -1.0);
    if (accepted >= 0 && accepted != static_cast<double>(o.readings) * o.rounds) {
      counts_ok = false;
      std::cerr << "ingest_bench: the service counted " << accepted << " readings accepted, "
                << o.readings * static_cast<size_t>(o.rounds) << " sent\n";
    }

    const auto stop_at = SteadyClock::now();
    int service_exit = service.Stop(std::chrono::seconds(60));
    out["stop_ms"] = Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count());
    out["service_exit_code"] = service_exit;

    // Ready time again, now with the Dijon registry (and history) in the
    // schema: what a restart in production costs.
    std::optional<double> restart_ms;
    if (o.restart) {
      ServiceProcess again;
      const std::string log2 = service_log + ".restart";
      restart_ms = start_service(again, log2);
      const double rss = static_cast<double>(StatusKb(again.pid(), "VmRSS").value_or(0)) / 1024.0;
      const int exit2 = again.Stop(std::chrono::seconds(60));
      out["restart"] = {{"ready_ms", Round1(*restart_ms)}, {"rss_mb_at_ready", Round1(rss)}, {"exit_code", exit2}};
      out["ready_ms_with_registry"] = Round1(*restart_ms);
      if (exit2 != 0) {
        std::cerr << "ingest_bench: the restarted service exited " << exit2 << "; its log tail:\n" << LogTail(log2, 30);
        service_exit = service_exit != 0 ? service_exit : exit2;
      } else if (o.service_log.empty()) {
        std::error_code ec;
        fs::remove(log2, ec);
      }
    }
    out["errors"] = total_errors;
    out["counts_ok"] = counts_ok;
    out["bars"] = {{"readings_per_s_min", kBarReadingsPerS},
                   {"rss_mb_max", kBarRssMb},
                   {"ready_ms_max", kBarReadyMs},
                   {"readings_per_s_ok", readings_per_s >= kBarReadingsPerS},
                   {"rss_ok", static_cast<double>(hwm_kb) / 1024.0 < kBarRssMb},
                   {"ready_ok", std::max(ready_ms, restart_ms.value_or(0)) < kBarReadyMs}};

    std::cout << std::setprecision(1) << "\n"
              << "readings/s through the service (median of " << o.rounds << "): " << readings_per_s
              << (readings_per_s >= kBarReadingsPerS ? "   (bar 100,000: met)" : "   (bar 100,000: NOT met)") << "\n"
              << "raw producer ceiling/s (median):             " << raw_per_s << "\n"
              << "ratio service/raw:                           " << std::setprecision(3)
              << (raw_per_s > 0 ? readings_per_s / raw_per_s : 0) << "\n"
              << std::setprecision(1) << "service memory: VmHWM " << static_cast<double>(hwm_kb) / 1024.0
              << " MiB, VmRSS " << static_cast<double>(rss_kb) / 1024.0 << " MiB (bar 100)\n"
              << "service ready in " << ready_ms << " ms on an empty schema"
              << (restart_ms ? ", " + std::to_string(static_cast<int>(*restart_ms)) + " ms restarting with the registry"
                             : std::string())
              << " (bar 2000)\n"
              << "errors: " << total_errors << ", counts " << (counts_ok ? "match" : "DO NOT MATCH")
              << ", service exit code " << service_exit << "\n";
    if (total_errors > 0 || !counts_ok || service_exit != 0) exit_code = 1;
    if (service_exit != 0) std::cerr << "ingest_bench: the service's log tail:\n" << LogTail(service_log, 30);
  } catch (...) {
    if (service.Running()) service.Stop(std::chrono::seconds(20));
    run.Abort(sandbox);
    throw;
  }
  run.Finish(o, exit_code, sandbox, out);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName("ingest_bench");
  const Options options = ParseOptions(argc, argv);
  return BenchMain([&] { return Run(options); });
}
