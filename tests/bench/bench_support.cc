#include "bench_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <librdkafka/rdkafkacpp.h>

extern char** environ;

namespace cityops::bench {

namespace fs = std::filesystem;

namespace {
std::string& ProgramNameStorage() {
  static std::string name = "bench";
  return name;
}
}  // namespace

void SetProgramName(std::string name) { ProgramNameStorage() = std::move(name); }
const std::string& ProgramName() { return ProgramNameStorage(); }

// ------------------------------------------------------------------ flags

std::vector<std::pair<std::string, std::string>> SplitFlags(int argc, char** argv, const std::set<std::string>& bare,
                                                            const std::function<void(const std::string&)>& usage) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") usage("help");
    if (arg.rfind("--", 0) != 0) usage("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (bare.count(name) != 0) {
      out.emplace_back(name, value.value_or(""));
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) usage("--" + name + " needs a value");
      value = argv[++i];
    }
    out.emplace_back(name, *value);
  }
  return out;
}

bool CommonOptions::TakeFlag(const std::string& name, const std::string& value) {
  if (name == "json") {
    json_path = value;
  } else if (name == "service-binary") {
    service_binary = value;
  } else if (name == "topics-file") {
    topics_file = value;
  } else if (name == "service-log") {
    service_log = value;
  } else if (name == "service-log-level") {
    service_log_level = value;
  } else if (name == "service-arg") {
    service_args.push_back(value);
  } else if (name == "no-restart") {
    restart = false;
  } else if (name == "keep") {
    keep = true;
  } else {
    return false;
  }
  return true;
}

std::optional<uint64_t> ParseWholeNumber(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c == '_' || c == ',') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
  }
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  return std::stoull(digits);
}

uint64_t CountFlag(const std::string& name, const std::string& text,
                   const std::function<void(const std::string&)>& usage) {
  const auto n = ParseWholeNumber(text);
  if (!n) usage("--" + name + " wants a whole number, not '" + text + "'");
  return n.value_or(0);
}

double NumberFlag(const std::string& name, const std::string& text,
                  const std::function<void(const std::string&)>& usage) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  usage("--" + name + " wants a number, not '" + text + "'");
  return 0;
}

// ------------------------------------------------------------------ small helpers

std::string RandomName(size_t length) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(kAlphabet[pick(gen)]);
  return out;
}

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

double Round1(double x) { return std::round(x * 10) / 10; }
double Round3(double x) { return std::round(x * 1000) / 1000; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

int64_t NowNs() { return SteadyClock::now().time_since_epoch().count(); }

double Millis(int64_t ns) { return static_cast<double>(ns) / 1e6; }

int64_t EpochMicros(common::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

json Summary(const std::vector<double>& v, double (*round)(double)) {
  if (v.empty()) return {{"count", 0}};
  double sum = 0;
  for (double x : v) sum += x;
  return {{"count", v.size()},
          {"p50", round(Percentile(v, 50))},
          {"p90", round(Percentile(v, 90))},
          {"p99", round(Percentile(v, 99))},
          {"max", round(Percentile(v, 100))},
          {"mean", round(sum / static_cast<double>(v.size()))}};
}

// ------------------------------------------------------------------ the machine

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto s = line.substr(colon + 1);
        s.erase(0, s.find_first_not_of(" \t"));
        return s;
      }
    }
  }
  return "unknown";
}

json MachineInfo() {
  std::string loadavg = ReadFile("/proc/loadavg");
  loadavg = loadavg.substr(0, loadavg.find('\n'));
  json machine = {{"nproc", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))},
                  {"model_name", CpuModel()},
                  {"loadavg_at_start", loadavg}};
  std::ifstream mi("/proc/meminfo");
  std::string key;
  long kb = 0;
  if (mi >> key >> kb) machine["mem_total_mb"] = kb / 1024;
  return machine;
}

std::optional<long> StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream ss(line.substr(field.size() + 1));
      long kb = 0;
      if (ss >> kb) return kb;
    }
  }
  return std::nullopt;
}

double StatusMb(pid_t pid, const std::string& field) {
  return Round1(static_cast<double>(StatusKb(pid, field).value_or(0)) / 1024.0);
}

// ------------------------------------------------------------------ CPU accounting (from /proc)

namespace {

const double kTicksPerSecond = static_cast<double>(sysconf(_SC_CLK_TCK));

// comm and utime+stime (clock ticks) of a /proc/.../stat file.
std::optional<std::pair<std::string, uint64_t>> ReadStat(const std::string& path) {
  const std::string text = ReadFile(path);
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> fields;
  std::string f;
  while (rest >> f && fields.size() < 13) fields.push_back(f);
  if (fields.size() < 13) return std::nullopt;
  // After the comm: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12).
  return std::make_pair(text.substr(open + 1, close - open - 1), std::stoull(fields[11]) + std::stoull(fields[12]));
}

// CPU ticks by process (or thread) name, over every pid under `dir`; with
// `with_id`, each one apart ("name#tid").
std::map<std::string, uint64_t> CpuByName(const std::string& dir, bool with_id = false) {
  std::map<std::string, uint64_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto stat = ReadStat(entry.path().string() + "/stat")) {
      out[with_id ? stat->first + "#" + name : stat->first] += stat->second;
    }
  }
  return out;
}

// utime + stime of a whole process (its exited threads included).
uint64_t ProcessTicks(pid_t pid) {
  auto stat = ReadStat("/proc/" + std::to_string(pid) + "/stat");
  return stat ? stat->second : 0;
}

// Busy and total ticks of all CPUs (/proc/stat).
std::pair<uint64_t, uint64_t> SystemTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  uint64_t total = 0, idle = 0, v = 0;
  for (int i = 0; i < 10 && (in >> v); ++i) {
    total += v;
    if (i == 3 || i == 4) idle += v;  // idle, iowait
  }
  return {total - idle, total};
}

json TopDeltas(const std::map<std::string, uint64_t>& before, const std::map<std::string, uint64_t>& after, size_t n) {
  std::vector<std::pair<double, std::string>> deltas;
  for (const auto& [name, ticks] : after) {
    const auto it = before.find(name);
    const uint64_t prev = it == before.end() ? 0 : it->second;
    if (ticks > prev) deltas.emplace_back(static_cast<double>(ticks - prev) / kTicksPerSecond, name);
  }
  std::sort(deltas.rbegin(), deltas.rend());
  json out = json::array();
  for (size_t i = 0; i < deltas.size() && i < n; ++i) {
    out.push_back({{"name", deltas[i].second}, {"cpu_s", Round3(deltas[i].first)}});
  }
  return out;
}

}  // namespace

void CpuWindow::Start(pid_t service_pid) {
  service = service_pid;
  system_before = SystemTicks();
  procs_before = CpuByName("/proc");
  threads_before = CpuByName("/proc/" + std::to_string(service) + "/task", true);
  service_before = ProcessTicks(service);
}

json CpuWindow::Finish(double wall_s) const {
  const auto system_after = SystemTicks();
  const auto procs_after = CpuByName("/proc");
  const auto threads_after = CpuByName("/proc/" + std::to_string(service) + "/task", true);
  const double busy = static_cast<double>(system_after.first - system_before.first);
  const double total = static_cast<double>(system_after.second - system_before.second);
  const double service_s = static_cast<double>(ProcessTicks(service) - service_before) / kTicksPerSecond;
  return {{"system_busy_pct", total > 0 ? Round1(100.0 * busy / total) : 0.0},
          {"cpus_busy", wall_s > 0 ? Round3(busy / kTicksPerSecond / wall_s) : 0.0},
          {"service_cpu_s", Round3(service_s)},
          {"service_cpus", wall_s > 0 ? Round3(service_s / wall_s) : 0.0},
          {"processes", TopDeltas(procs_before, procs_after, 8)},
          {"service_threads", TopDeltas(threads_before, threads_after, 10)}};
}

// ------------------------------------------------------------------ the service as a child process

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0 && Running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ServiceProcess::Start(const std::string& binary, const std::vector<std::string>& args,
                           const std::vector<std::string>& env, const std::string& log_path) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) throw std::runtime_error("cannot open the service log " + log_path);
  // Everything the child needs is prepared before fork (only exec after it).
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv_p, env_p;
  for (auto& s : argv_s) argv_p.push_back(s.data());
  argv_p.push_back(nullptr);
  std::vector<std::string> env_s = env;
  for (auto& s : env_s) env_p.push_back(s.data());
  env_p.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // If the bench dies, the service is told to stop too.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(argv_p[0], argv_p.data(), env_p.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  exited_ = false;
  status_ = 0;
}

double ServiceProcess::StartUntilReady(const std::string& binary, const std::vector<std::string>& args,
                                       const std::vector<std::string>& env, const std::string& log_path,
                                       const std::string& ready_file) {
  std::error_code ec;
  fs::remove(ready_file, ec);
  const auto start_at = SteadyClock::now();
  Start(binary, args, env, log_path);
  while (!fs::exists(ready_file)) {
    if (!Running()) {
      throw std::runtime_error("the service exited (" + std::to_string(ExitCode()) + ") before ready; its log:\n" +
                               LogTail(log_path, 30));
    }
    if (SteadyClock::now() - start_at > std::chrono::seconds(60)) {
      throw std::runtime_error("the service was not ready within 60 s; its log:\n" + LogTail(log_path, 30));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start_at).count();
}

bool ServiceProcess::Running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int ServiceProcess::Stop(std::chrono::seconds timeout) {
  if (Running()) {
    ::kill(pid_, SIGTERM);
    const auto deadline = SteadyClock::now() + timeout;
    while (Running() && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (Running()) {
      std::cerr << ProgramName() << ": the service did not stop within " << timeout.count() << " s: SIGKILL\n";
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exited_ = true;
      status_ = status;
    }
  }
  return ExitCode();
}

int ServiceProcess::ExitCode() const {
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
  return -1;
}

ReadyPorts ReadReadyFile(const std::string& path) {
  const json ports = json::parse(ReadFile(path));
  return {ports.at("grpc_port").get<int>(), ports.at("metrics_port").get<int>()};
}

std::vector<std::string> ServiceEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "CITYOPS_", 8) == 0) continue;
    env.emplace_back(*e);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::string LogTail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "    " + l + "\n";
  return out;
}

// ------------------------------------------------------------------ /metrics

namespace {

// The body of GET /metrics on 127.0.0.1:port; nullopt when it did not answer.
std::optional<std::string> FetchMetrics(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string body;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) body.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return body;
}

}  // namespace

std::optional<std::map<std::string, double>> ScrapeSamples(int port, const std::string& name) {
  const auto body = FetchMetrics(port);
  if (!body) return std::nullopt;
  std::map<std::string, double> samples;
  std::istringstream in(*body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    const auto space = line.rfind(' ');
    try {
      samples[line.substr(name.size(), space - name.size())] += std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
    }
  }
  return samples;
}

std::optional<double> ScrapeMetric(int port, const std::string& name) {
  const auto samples = ScrapeSamples(port, name);
  if (!samples || samples->empty()) return std::nullopt;
  double sum = 0;
  for (const auto& [labels, value] : *samples) sum += value;
  return sum;
}

json ScrapeCounters(int port, const std::string& prefix, const std::vector<std::string>& names) {
  json out = json::object();
  for (const auto& name : names) {
    if (auto samples = ScrapeSamples(port, prefix + name)) {
      for (const auto& [labels, value] : *samples) out[prefix + name + labels] = value;
    }
  }
  return out;
}

double SumCounters(const json& counters, const std::string& name) {
  double sum = 0;
  for (const auto& [key, value] : counters.items()) {
    if (key.rfind(name, 0) == 0) sum += value.get<double>();
  }
  return sum;
}

Histogram Histogram::Scrape(int port, const std::string& name) {
  Histogram h;
  if (const auto buckets = ScrapeSamples(port, name + "_bucket")) {
    for (const auto& [labels, value] : *buckets) {
      const auto at = labels.find("le=\"");
      if (at == std::string::npos) continue;
      const std::string le = labels.substr(at + 4, labels.find('"', at + 4) - at - 4);
      h.buckets.emplace_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le), value);
    }
    std::sort(h.buckets.begin(), h.buckets.end());
  }
  h.count = ScrapeMetric(port, name + "_count").value_or(0);
  h.sum = ScrapeMetric(port, name + "_sum").value_or(0);
  return h;
}

Histogram Histogram::Minus(const Histogram& before) const {
  Histogram d = *this;
  for (auto& [le, cumulative] : d.buckets) {
    for (const auto& [le0, cumulative0] : before.buckets) {
      if (le0 == le) cumulative -= cumulative0;
    }
  }
  d.count -= before.count;
  d.sum -= before.sum;
  return d;
}

double Histogram::QuantileBound(double q) const {
  if (count <= 0) return 0;
  for (const auto& [le, cumulative] : buckets) {
    if (cumulative >= q * count) return le;
  }
  return std::numeric_limits<double>::infinity();
}

json Histogram::ToJson() const {
  auto ms = [](double s) -> json {
    if (std::isinf(s)) return "+Inf";
    return Round1(s * 1000);
  };
  json buckets_ms = json::object();
  for (const auto& [le, cumulative] : buckets) {
    std::ostringstream key;
    key << Round1(le * 1000);
    buckets_ms[std::isinf(le) ? std::string("+Inf") : key.str()] = cumulative;
  }
  return {{"count", count},
          {"mean_ms", count > 0 ? Round1(sum / count * 1000) : 0.0},
          {"p50_le_ms", ms(QuantileBound(0.5))},
          {"p99_le_ms", ms(QuantileBound(0.99))},
          {"cumulative_buckets_ms", buckets_ms}};
}

HistogramSet HistogramSet::Scrape(int port, const std::string& prefix, const std::vector<std::string>& names) {
  HistogramSet set;
  for (const auto& name : names) set.by_name_[name] = Histogram::Scrape(port, prefix + name);
  return set;
}

json HistogramSet::Since(const HistogramSet& before) const {
  json out = json::object();
  for (const auto& [name, h] : by_name_) {
    const auto it = before.by_name_.find(name);
    out[name] = (it == before.by_name_.end() ? h : h.Minus(it->second)).ToJson();
  }
  return out;
}

// ------------------------------------------------------------------ the local stack

StackEnv LoadStackEnv(const char* service_dsn_variable) {
  StackEnv env{Getenv("CITYOPS_KAFKA_BOOTSTRAP"), Getenv("CITYOPS_PG_ADMIN_DSN"), Getenv(service_dsn_variable)};
  if (env.service_dsn.empty()) env.service_dsn = env.admin_dsn;
  return env;
}

Sandbox::Sandbox(const StackEnv& env, const std::string& client_id, const std::string& topics_file, std::string prefix,
                 std::string schema, bool keep)
    : prefix_(std::move(prefix)), schema_(std::move(schema)), keep_(keep) {
  kafka_.bootstrap = env.bootstrap;
  kafka_.client_id = client_id;
  auto specs = common::LoadTopicSpecs(topics_file);
  if (!specs.ok()) throw std::runtime_error("topics: " + specs.status().ToString());
  for (const auto& spec : *specs) {
    topic_names_.push_back(prefix_ + spec.name);
    partitions_[spec.name] = spec.partitions;
  }
  if (auto s = common::EnsureTopics(kafka_, *specs, prefix_, std::chrono::seconds(30)); !s.ok()) {
    throw std::runtime_error("creating topics: " + s.ToString());
  }
  std::string service_role;
  {
    pqxx::connection svc(env.service_dsn);
    pqxx::work tx(svc);
    service_role = tx.exec("SELECT current_user")[0][0].as<std::string>();
  }
  admin_ = std::make_unique<pqxx::connection>(env.admin_dsn);
  pqxx::work tx(*admin_);
  tx.exec("CREATE SCHEMA " + tx.quote_name(schema_) + " AUTHORIZATION " + tx.quote_name(service_role));
  tx.commit();
}

Sandbox::~Sandbox() { Cleanup(); }

void Sandbox::Cleanup() {
  if (keep_) return;
  if (!schema_dropped_) {
    try {
      pqxx::work tx(*admin_);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
      tx.commit();
      schema_dropped_ = true;
    } catch (const std::exception& e) {
      std::cerr << ProgramName() << ": dropping schema " << schema_ << ": " << e.what() << "\n";
    }
  }
  if (!topics_deleted_) {
    topics_deleted_ = common::DeleteTopics(kafka_, topic_names_, std::chrono::seconds(30)).ok();
  }
}

int Sandbox::Partitions(std::string_view logical) const {
  const auto it = partitions_.find(logical);
  return it == partitions_.end() ? 1 : it->second;
}

std::string Sandbox::Scalar(const std::string& sql) {
  pqxx::work tx(*admin_);
  const auto r = tx.exec(sql);
  tx.commit();
  return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

// ------------------------------------------------------------------ Kafka: producing, reading a topic

void ProduceWaiting(common::KafkaProducer& producer, const std::string& topic, const std::string& key,
                    const std::string& value, const common::DeliveryCallback& done) {
  for (;;) {
    const auto s = producer.Produce(topic, key, value, done);
    if (s.ok()) return;
    if (s.code() != absl::StatusCode::kResourceExhausted && s.code() != absl::StatusCode::kUnavailable) {
      throw std::runtime_error("produce: " + s.ToString());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

common::DeliveryCallback RecordAck(std::shared_ptr<AckLog> log, size_t k) {
  return [log = std::move(log), k](const common::DeliveryResult& r) {
    if (r.status.ok()) {
      log->acked_ns[k].store(NowNs(), std::memory_order_relaxed);
    } else {
      ++log->failures;
    }
  };
}

TopicReader::TopicReader(const std::string& bootstrap, const std::string& topic, int partitions,
                         const std::string& group, const std::string& client_id, Handler handle)
    : handle_(std::move(handle)) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", bootstrap},
                                                                             {"client.id", client_id},
                                                                             {"group.id", group},
                                                                             {"enable.auto.commit", "false"},
                                                                             {"enable.partition.eof", "false"},
                                                                             {"fetch.wait.max.ms", "100"}}) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) throw std::runtime_error("Kafka " + k + ": " + err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (consumer_ == nullptr) throw std::runtime_error("reader of " + topic + ": " + err);
  std::vector<RdKafka::TopicPartition*> parts;
  parts.reserve(static_cast<size_t>(partitions));
  for (int p = 0; p < partitions; ++p) {
    parts.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  const auto e = consumer_->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  if (e != RdKafka::ERR_NO_ERROR) throw std::runtime_error("reader assign " + topic + ": " + RdKafka::err2str(e));
  thread_ = std::thread([this] { Loop(); });
}

TopicReader::~TopicReader() { Stop(); }

void TopicReader::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
}

void TopicReader::Loop() {
  while (!stop_) {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    handle_(*m, NowNs());
  }
}

// ------------------------------------------------------------------ Kafka: offsets of a topic

TopicWatch::TopicWatch(const std::string& bootstrap, std::string topic, int partitions, const std::string& group,
                       const std::string& client_id)
    : topic_(std::move(topic)), partitions_(partitions) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("client.id", client_id, err);
  // Never subscribes: it only reads the group's committed offsets.
  conf->set("group.id", group, err);
  conf->set("enable.auto.commit", "false", err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (consumer_ == nullptr) throw std::runtime_error("Kafka watch consumer: " + err);
}

TopicWatch::~TopicWatch() {
  if (consumer_) consumer_->close();
}

int64_t TopicWatch::Messages() {
  int64_t sum = 0;
  for (int p = 0; p < partitions_; ++p) {
    int64_t low = 0, high = 0;
    const auto e = consumer_->query_watermark_offsets(topic_, p, &low, &high, 10000);
    if (e != RdKafka::ERR_NO_ERROR) throw std::runtime_error("watermarks of " + topic_ + ": " + RdKafka::err2str(e));
    sum += high;
  }
  return sum;
}

int64_t TopicWatch::Lag() {
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions_; ++p) parts.push_back(RdKafka::TopicPartition::create(topic_, p));
  const auto e = consumer_->committed(parts, 10000);
  int64_t lag = 0;
  for (auto* tp : parts) {
    int64_t low = 0, high = 0;
    consumer_->query_watermark_offsets(topic_, tp->partition(), &low, &high, 10000);
    const int64_t committed = tp->offset() >= 0 ? tp->offset() : low;
    lag += std::max<int64_t>(0, high - committed);
  }
  RdKafka::TopicPartition::destroy(parts);
  if (e != RdKafka::ERR_NO_ERROR) return -1;
  return lag;
}

RunSetup RunSetup::Prepare(const CommonOptions& o, const char* service_dsn_variable, const std::string& work_name,
                           const std::string& log_name, const std::function<void(const std::string&)>& usage) {
  RunSetup r;
  r.env = LoadStackEnv(service_dsn_variable);
  if (r.env.bootstrap.empty() || r.env.admin_dsn.empty()) {
    usage("CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN must be set (eval \"$(deploy/local/stack.sh env)\")");
  }
  if (::access(o.service_binary.c_str(), X_OK) != 0) usage("no service binary at " + o.service_binary);
  r.run_id = RandomName(10);
  r.prefix = "bench-" + r.run_id + ".";
  r.schema = "bench_" + r.run_id;
  const fs::path work = fs::temp_directory_path() / (work_name + "-" + r.run_id);
  fs::create_directories(work);
  r.work = work.string();
  r.ready_file = (work / "ready.json").string();
  r.service_log = o.service_log.empty() ? (work / log_name).string() : o.service_log;
  return r;
}

std::vector<std::string> RunSetup::ServiceArgs(const CommonOptions& o) const {
  std::vector<std::string> args = {"--pg-schema=" + schema,
                                   "--kafka-bootstrap=" + env.bootstrap,
                                   "--topic-prefix=" + prefix,
                                   "--grpc-address=127.0.0.1:0",
                                   "--metrics-address=127.0.0.1:0",
                                   "--ready-file=" + ready_file,
                                   "--log-level=" + o.service_log_level};
  args.insert(args.end(), o.service_args.begin(), o.service_args.end());
  return args;
}

void RunSetup::Finish(const CommonOptions& o, int exit_code, Sandbox& sandbox, const json& out) const {
  sandbox.Cleanup();
  std::error_code ec;
  // The work folder holds the ready file, and the service's log unless one was given.
  if (exit_code == 0 || !o.service_log.empty()) fs::remove_all(work, ec);
  if (exit_code != 0) std::cerr << ProgramName() << ": service log kept at " << service_log << "\n";
  if (!o.json_path.empty()) WriteJson(o.json_path, out);
}

void RunSetup::Abort(Sandbox& sandbox) const {
  std::cerr << ProgramName() << ": service log: " << service_log << "\n";
  sandbox.Cleanup();
}

int BenchMain(const std::function<int()>& run) {
  ::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << ProgramName() << ": " << e.what() << "\n";
    return 1;
  }
}

void WriteJson(const std::string& path, const json& out) {
  std::ofstream f(path);
  f << out.dump(2) << "\n";
  if (!f) throw std::runtime_error("cannot write " + path);
  std::cout << "results: " << path << "\n";
}

}  // namespace cityops::bench
