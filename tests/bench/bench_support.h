#pragma once

// What the benchmarks share: flags, statistics, the machine and its CPU
// accounting (/proc), the service under test as a child process, its
// /metrics (counters, histograms), a fresh schema and prefixed topics on the
// local stack, producing to Kafka, reading a topic from its start, and
// Kafka's offsets of a topic. Nothing here knows a particular service (the
// storm of faults is in storm.h, crew-dispatch's crews in crew_player.h).

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace cityops::bench {

using SteadyClock = std::chrono::steady_clock;
using json = nlohmann::json;

// The program's name, at the head of its messages ("ingest_bench").
void SetProgramName(std::string name);
const std::string& ProgramName();

// ------------------------------------------------------------------ flags

// Splits `--name=value`, `--name value` and bare `--flag` (the names in
// `bare`) into (name, value) pairs, in order. Calls `usage` (which must not
// return) for -h/--help, an argument that is not a flag, or a missing value.
std::vector<std::pair<std::string, std::string>> SplitFlags(int argc, char** argv, const std::set<std::string>& bare,
                                                            const std::function<void(const std::string&)>& usage);

// The flags every benchmark of a service takes (its own options derive from
// this): --json FILE, --service-binary PATH, --topics-file PATH,
// --service-log FILE, --service-log-level LEVEL, --service-arg ARG
// (repeatable), --no-restart, --keep.
struct CommonOptions {
  std::string json_path;
  std::string service_binary;
  std::string topics_file;
  std::string service_log;
  std::string service_log_level = "info";
  std::vector<std::string> service_args;
  bool restart = true;
  bool keep = false;

  // The bare ones among them (no value).
  static std::set<std::string> BareFlags() { return {"no-restart", "keep"}; }
  // Takes a flag when it is one of these; false when it is not.
  bool TakeFlag(const std::string& name, const std::string& value);
};

// A whole number written with optional `_` or `,` separators ("2_000_000");
// nullopt when it is not one (or has more than 12 digits).
std::optional<uint64_t> ParseWholeNumber(const std::string& text);
// The value of flag --name as a whole number; calls `usage` (which must not
// return) when it is not one.
uint64_t CountFlag(const std::string& name, const std::string& text,
                   const std::function<void(const std::string&)>& usage);
// The value of flag --name as a finite number; calls `usage` when it is not one.
double NumberFlag(const std::string& name, const std::string& text,
                  const std::function<void(const std::string&)>& usage);

// ------------------------------------------------------------------ small helpers

std::string RandomName(size_t length);
double Seconds(SteadyClock::duration d);
double Median(std::vector<double> v);
// Nearest-rank percentile (p in 0..100); 0 for an empty set.
double Percentile(std::vector<double> v, double p);
double Round1(double x);
double Round3(double x);
std::string ReadFile(const std::string& path);
std::string UtcNow();
std::string Getenv(const char* name);
// The steady clock now, in nanoseconds: the benches' one clock for "sent" and
// "received".
int64_t NowNs();
// Nanoseconds as milliseconds.
double Millis(int64_t ns);
// Microseconds since the epoch (a proto timestamp's resolution, as the
// services stamp their events).
int64_t EpochMicros(common::TimePoint t);
// {"count", "p50", "p90", "p99", "max", "mean"} of a set of durations, each
// rounded by `round`; {"count": 0} when empty.
json Summary(const std::vector<double>& v, double (*round)(double) = Round1);

// ------------------------------------------------------------------ the machine

std::string CpuModel();
// {"nproc", "model_name", "loadavg_at_start", "mem_total_mb"}
json MachineInfo();
// kB value of a "Name:   123 kB" line of /proc/<pid>/status.
std::optional<long> StatusKb(pid_t pid, const std::string& field);
// The same in MiB, rounded to 0.1 (0 when unreadable).
double StatusMb(pid_t pid, const std::string& field);

// What used the CPU between Start and Finish: seconds by process name over
// the whole machine, by thread of the service, and the machine's busy share.
struct CpuWindow {
  std::map<std::string, uint64_t> procs_before, threads_before;
  std::pair<uint64_t, uint64_t> system_before;
  uint64_t service_before = 0;
  pid_t service = -1;

  void Start(pid_t service_pid);
  // {"system_busy_pct", "cpus_busy", "service_cpu_s", "service_cpus", "processes": [...], "service_threads": [...]}
  json Finish(double wall_s) const;
};

// ------------------------------------------------------------------ the service as a child process

class ServiceProcess {
 public:
  ServiceProcess() = default;
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  // SIGKILL when still running.
  ~ServiceProcess();

  // Starts `binary args...` with `env`, stdout and stderr to `log_path`.
  void Start(const std::string& binary, const std::vector<std::string>& args, const std::vector<std::string>& env,
             const std::string& log_path);
  // Start, then waits until the service wrote `ready_file` (removed first);
  // returns the milliseconds from fork to that file. Throws, with the log's
  // tail, when it exits first or is not ready within 60 s.
  double StartUntilReady(const std::string& binary, const std::vector<std::string>& args,
                         const std::vector<std::string>& env, const std::string& log_path,
                         const std::string& ready_file);

  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM, then waits; SIGKILL after the timeout. Returns the exit code, or
  // -signal when it was killed by one.
  int Stop(std::chrono::seconds timeout);
  int ExitCode() const;

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

// The ports a service wrote in its --ready-file.
struct ReadyPorts {
  int grpc = 0;
  int metrics = 0;
};
ReadyPorts ReadReadyFile(const std::string& path);

// The process environment without any CITYOPS_* setting (so that nothing in
// the caller's shell changes the service's behaviour), plus `extra`.
std::vector<std::string> ServiceEnvironment(const std::vector<std::string>& extra);

// The last lines of a log, indented, for error messages.
std::string LogTail(const std::string& path, size_t lines);

// ------------------------------------------------------------------ /metrics

// Every sample of a metric from the service's /metrics, by its labels as
// exposed (`{state="raised"}`, or empty); nullopt when /metrics did not answer.
// `name` matches exactly: `x` does not take the samples of `x_bucket`.
std::optional<std::map<std::string, double>> ScrapeSamples(int port, const std::string& name);
// Sum of every sample of a metric (all label sets).
std::optional<double> ScrapeMetric(int port, const std::string& name);

// Every sample of each metric `prefix` + name, as {prefix + name + labels:
// value}; a metric /metrics did not answer for is left out.
json ScrapeCounters(int port, const std::string& prefix, const std::vector<std::string>& names);
// The sum of the samples of ScrapeCounters' result whose key starts with `name`.
double SumCounters(const json& counters, const std::string& name);

// A Prometheus histogram as scraped: cumulative counts by upper bound.
struct Histogram {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count), +Inf last
  double count = 0;
  double sum = 0;

  static Histogram Scrape(int port, const std::string& name);
  // What was observed between `before` and this.
  Histogram Minus(const Histogram& before) const;
  // The upper bound of the bucket holding quantile q (0..1): "p99 <= this";
  // infinity when it is in the +Inf bucket, 0 when empty.
  double QuantileBound(double q) const;
  // {"count", "mean_ms", "p50_le_ms", "p99_le_ms", "buckets_ms": {le: count}}
  json ToJson() const;
};

// Several histograms of one service (`prefix` + each name), scraped together
// before and after a phase.
class HistogramSet {
 public:
  static HistogramSet Scrape(int port, const std::string& prefix, const std::vector<std::string>& names);
  // {name (without the prefix): Histogram::ToJson() of what was observed
  // between `before` and this}.
  json Since(const HistogramSet& before) const;

 private:
  std::map<std::string, Histogram> by_name_;
};

// ------------------------------------------------------------------ the local stack

// Settings of the running stack (deploy/local/stack.sh env).
struct StackEnv {
  std::string bootstrap;
  std::string admin_dsn;
  std::string service_dsn;  // the service role's, or the admin's when the stack gives none
};
// From CITYOPS_KAFKA_BOOTSTRAP, CITYOPS_PG_ADMIN_DSN and the service's DSN
// variable; bootstrap or admin_dsn empty when unset.
StackEnv LoadStackEnv(const char* service_dsn_variable);

// A fresh schema, owned by the service's role, and every topic of the topics
// file under a prefix; Cleanup (also run by the destructor) drops both unless
// `keep`.
class Sandbox {
 public:
  Sandbox(const StackEnv& env, const std::string& client_id, const std::string& topics_file, std::string prefix,
          std::string schema, bool keep);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  void Cleanup();
  const common::KafkaSettings& kafka() const { return kafka_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& schema() const { return schema_; }
  // The full name of a logical topic, and its partition count (1 when not declared).
  std::string Topic(std::string_view logical) const { return prefix_ + std::string(logical); }
  int Partitions(std::string_view logical) const;
  pqxx::connection& admin() { return *admin_; }
  // One value of a query run by the admin (the schema's tables are named with it).
  std::string Scalar(const std::string& sql);

 private:
  common::KafkaSettings kafka_;
  std::string prefix_;
  std::string schema_;
  bool keep_;
  std::map<std::string, int, std::less<>> partitions_;
  std::vector<std::string> topic_names_;
  std::unique_ptr<pqxx::connection> admin_;
  bool schema_dropped_ = false;
  bool topics_deleted_ = false;
};

// ------------------------------------------------------------------ Kafka: producing, reading a topic

// Produces one message, waiting (1 ms at a time) while the producer's queue
// is full or the broker unavailable; throws on any other error.
void ProduceWaiting(common::KafkaProducer& producer, const std::string& topic, const std::string& key,
                    const std::string& value, const common::DeliveryCallback& done);

// When Kafka acknowledged each of n messages (NowNs; 0: not (yet)) and how
// many deliveries failed. Written by the producer's thread: hold it by
// shared_ptr, so that a late delivery report still finds it.
struct AckLog {
  explicit AckLog(size_t n) : acked_ns(n) {}
  std::vector<std::atomic<int64_t>> acked_ns;
  std::atomic<size_t> failures{0};
};
// The delivery callback of message k: its acknowledgement time, or a failure, into `log`.
common::DeliveryCallback RecordAck(std::shared_ptr<AckLog> log, size_t k);

// Reads a topic from its start (every partition assigned at the beginning,
// nothing committed) on its own thread, and hands every message to `handle`
// with the steady time (NowNs) it was received.
class TopicReader {
 public:
  using Handler = std::function<void(const RdKafka::Message&, int64_t received_ns)>;

  TopicReader(const std::string& bootstrap, const std::string& topic, int partitions, const std::string& group,
              const std::string& client_id, Handler handle);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // Stops reading (after the message in hand) and closes the consumer.
  void Stop();

 private:
  void Loop();

  Handler handle_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ------------------------------------------------------------------ Kafka: offsets of a topic

// Watches a topic: its message count (sum of high watermarks) and how far
// behind it a consumer group is.
class TopicWatch {
 public:
  TopicWatch(const std::string& bootstrap, std::string topic, int partitions, const std::string& group,
             const std::string& client_id);
  ~TopicWatch();

  // Sum of the partitions' high watermarks: the number of messages ever
  // written (no transactions, so offsets are messages).
  int64_t Messages();
  // Messages not yet committed by the group (-1 when Kafka did not say).
  int64_t Lag();

 private:
  std::string topic_;
  int partitions_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

// What one run of a benchmark works in: the stack's settings, a random run
// id, the topic prefix and schema named after it, and a work folder (under
// the temporary folder) for the service's ready file and, unless
// --service-log says otherwise, its log.
struct RunSetup {
  StackEnv env;
  std::string run_id;
  std::string prefix;  // "bench-<id>."
  std::string schema;  // "bench_<id>"
  std::string work;
  std::string ready_file;
  std::string service_log;

  // Checks the stack's settings and the service binary (calling `usage`,
  // which must not return, when one is missing) and makes the work folder.
  static RunSetup Prepare(const CommonOptions& o, const char* service_dsn_variable, const std::string& work_name,
                          const std::string& log_name, const std::function<void(const std::string&)>& usage);
  // The service's flags: the schema, Kafka, the topic prefix, ports chosen
  // by the system, the ready file, the log level, then every --service-arg.
  std::vector<std::string> ServiceArgs(const CommonOptions& o) const;
  // After the run: the sandbox goes, the work folder too unless the run
  // failed and the log is in it, and the results go to --json.
  void Finish(const CommonOptions& o, int exit_code, Sandbox& sandbox, const json& out) const;
  // When the run threw (its service stopped): says where the log is, drops the sandbox.
  void Abort(Sandbox& sandbox) const;
};

// The body of a benchmark's main: line-buffered stdout (progress shows as it
// happens, also in a file), no SIGPIPE, an exception reported as
// "<program>: what" and exit code 1.
int BenchMain(const std::function<int()>& run);

// Writes the results and says where.
void WriteJson(const std::string& path, const json& out);

}  // namespace cityops::bench
