// gateway_bench: what the gateway costs and carries, in front of the real
// services on the local stack.
//
// A fresh topic prefix and one fresh schema per service (incident-correlation,
// resident-calls, gateway), the three as child processes on free ports, the
// gateway pointed at the two (telemetry-ingest, crew-dispatch and
// lighting-control are not started: their routes are not timed, and their
// addresses point at a closed port). Then:
//   users:   the admin (from the environment, first start) logs in and creates
//            --operators operators through POST /api/v1/users; each logs in
//            once (POST /api/v1/auth/login, Argon2id): the login times.
//   seed:    --incidents lamp failures on lamps of different control cabinets
//            of the simulator's Dijon (one lamp per cabinet, so one incident
//            each, no topology incident) as fault events on the prefixed
//            faults topic, waited for until ListIncidents lists them all;
//            --requests residents' requests through resident-calls' gRPC
//            CreateRequest.
//   latency: the same question asked directly over gRPC and through the
//            gateway's REST (an HTTP/1.1 keep-alive client on plain sockets),
//            each --calls times one at a time after --warmup untimed pairs,
//            the two interleaved call by call (which goes first alternates):
//              GetIncident          vs GET  /api/v1/incidents/{id}
//              ListIncidents (100)  vs GET  /api/v1/incidents?pageSize=100
//              GetRequest           vs GET  /api/v1/calls/requests/{id}
//              AddNote              vs POST /api/v1/incidents/{id}/notes
//                                      (audited: a row before, its outcome after)
//            then --calls of each spread over --clients concurrent clients
//            (each its own connection and operator), gRPC alone, then the
//            gateway alone: calls/s, and the gateway's CPU per request.
//   feed:    --operators clients on GET /api/v1/events (one per operator, its
//            own token); the gateway's CPU idle without and with them; a
//            warm-up event until every client saw one; then --events
//            IncidentEvents produced at --feed-rate onto the prefixed incidents
//            topic (the seeded incidents, change UPDATED, keyed by incident id,
//            as incident-correlation writes them); for each event and client,
//            arrival (read from the socket) - produced (just before the
//            produce call), one steady clock; and whether every client got
//            every event exactly once.
//   memory:  the gateway's VmRSS and VmHWM at each step, in particular with
//            the feed's clients connected.
//   logins:  --concurrent-logins operators logging in at the same moment
//            (time, and the memory the hashes take).
//   ready:   the gateway stopped and started again --restarts times on its
//            schema, each timed from fork to its ready file.
// Checks: every call answered OK, the notes and the gateway's audit rows
// match the commands sent, every feed client got every event, each service
// exits 0 on SIGTERM; otherwise the exit code is 1.
//
// Usage: gateway_bench [--json FILE] [--calls N] [--warmup N] [--clients N] [--incidents N]
//          [--requests N] [--operators N] [--events N] [--feed-rate R] [--idle-s S]
//          [--restarts N] [--concurrent-logins N] [--rate-limit R] [--gateway-arg ARG]...
//          [--gateway-binary PATH] [--correlation-binary PATH] [--calls-binary PATH]
//          [--topics-file PATH] [--service-log PREFIX] [--service-log-level L] [--note TEXT]
//          [--seed N] [--keep]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "bench_support.h"
#include "city.h"
#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/common/districts.h"
#include "cityops/common/kafka.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace {

using namespace cityops::bench;  // NOLINT(google-build-using-namespace): the bench's own toolbox
namespace iv1 = cityops::incidents::v1;
namespace cv1 = cityops::calls::v1;
namespace tv1 = cityops::telemetry::v1;
namespace common = cityops::common;
namespace sim = cityops::sim;
namespace topics = cityops::topics;

#ifndef CITYOPS_BENCH_TOPICS_FILE
#define CITYOPS_BENCH_TOPICS_FILE "deploy/topics.json"
#endif
#ifndef CITYOPS_BENCH_GATEWAY_BINARY
#define CITYOPS_BENCH_GATEWAY_BINARY "gateway"
#endif
#ifndef CITYOPS_BENCH_CORRELATION_BINARY
#define CITYOPS_BENCH_CORRELATION_BINARY "incident-correlation"
#endif
#ifndef CITYOPS_BENCH_CALLS_BINARY
#define CITYOPS_BENCH_CALLS_BINARY "resident-calls"
#endif

// The quality bars of the brief (each service, at Dijon scale).
constexpr double kBarRssMb = 100.0;
constexpr double kBarReadyMs = 2000.0;

// The producer named in the events the bench writes.
constexpr char kProducer[] = "gateway-bench";
constexpr char kAdminUser[] = "bench-admin";
constexpr char kOperatorRole[] = "operator";
constexpr auto kCallDeadline = std::chrono::seconds(30);
// Where the gateway's routes to the services this bench does not start go:
// a port nothing listens on (a call there fails at once with 503).
constexpr char kNowhere[] = "127.0.0.1:1";
constexpr char kNoteText[] = "Crew informed by phone; cones placed around the dark lamp post until the repair.";

// ------------------------------------------------------------------ options

struct Options : CommonOptions {
  Options() {
    service_binary = CITYOPS_BENCH_GATEWAY_BINARY;
    topics_file = CITYOPS_BENCH_TOPICS_FILE;
  }
  std::string correlation_binary = CITYOPS_BENCH_CORRELATION_BINARY;
  std::string calls_binary = CITYOPS_BENCH_CALLS_BINARY;
  std::vector<std::string> gateway_args;
  size_t calls = 2000;
  size_t warmup = 200;
  size_t clients = 8;
  size_t incidents = 400;
  size_t requests = 100;
  size_t operators = 50;
  size_t events = 1000;
  double feed_rate = 200;
  double idle_s = 5;
  size_t restarts = 5;
  size_t concurrent_logins = 8;
  // The gateway's per-user rate limit for the run (requests/s, and the same
  // burst); 0: the gateway's own default (20/s, burst 40).
  double rate_limit = 1'000'000;
  uint64_t seed = 1;
  std::string note;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "gateway_bench: " << problem << "\n"
            << "usage: gateway_bench [--json FILE] [--calls N] [--warmup N] [--clients N] [--incidents N]\n"
            << "         [--requests N] [--operators N] [--events N] [--feed-rate R] [--idle-s S]\n"
            << "         [--restarts N] [--concurrent-logins N] [--rate-limit R] [--gateway-arg ARG]...\n"
            << "         [--gateway-binary PATH] [--correlation-binary PATH] [--calls-binary PATH]\n"
            << "         [--topics-file PATH] [--service-log PREFIX] [--service-log-level LEVEL]\n"
            << "         [--note TEXT] [--seed N] [--keep]\n"
            << "needs CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN (deploy/local/stack.sh env)\n";
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (const auto& [name, v] : SplitFlags(argc, argv, CommonOptions::BareFlags(), Usage)) {
    if (name == "no-restart") Usage("--no-restart: use --restarts 1");
    if (name == "service-arg") Usage("--service-arg: use --gateway-arg (the services take different flags)");
    if (name == "service-binary") Usage("name each binary: --gateway-binary, --correlation-binary, --calls-binary");
    if (o.TakeFlag(name, v)) continue;
    if (name == "gateway-binary") {
      o.service_binary = v;
    } else if (name == "correlation-binary") {
      o.correlation_binary = v;
    } else if (name == "calls-binary") {
      o.calls_binary = v;
    } else if (name == "gateway-arg") {
      o.gateway_args.push_back(v);
    } else if (name == "calls") {
      o.calls = CountFlag(name, v, Usage);
    } else if (name == "warmup") {
      o.warmup = CountFlag(name, v, Usage);
    } else if (name == "clients") {
      o.clients = CountFlag(name, v, Usage);
    } else if (name == "incidents") {
      o.incidents = CountFlag(name, v, Usage);
    } else if (name == "requests") {
      o.requests = CountFlag(name, v, Usage);
    } else if (name == "operators") {
      o.operators = CountFlag(name, v, Usage);
    } else if (name == "events") {
      o.events = CountFlag(name, v, Usage);
    } else if (name == "feed-rate") {
      o.feed_rate = NumberFlag(name, v, Usage);
    } else if (name == "idle-s") {
      o.idle_s = NumberFlag(name, v, Usage);
    } else if (name == "restarts") {
      o.restarts = CountFlag(name, v, Usage);
    } else if (name == "concurrent-logins") {
      o.concurrent_logins = CountFlag(name, v, Usage);
    } else if (name == "rate-limit") {
      o.rate_limit = NumberFlag(name, v, Usage);
    } else if (name == "seed") {
      o.seed = CountFlag(name, v, Usage);
    } else if (name == "note") {
      o.note = v;
    } else {
      Usage("unknown flag --" + name);
    }
  }
  if (o.calls < 10 || o.calls > 1'000'000) Usage("--calls must be within 10..1000000");
  if (o.warmup > 100'000) Usage("--warmup must be at most 100000");
  if (o.clients < 2 || o.clients > 64) Usage("--clients must be within 2..64");
  if (o.incidents < 20 || o.incidents > 700) Usage("--incidents must be within 20..700 (one per cabinet of Dijon)");
  if (o.requests < 1 || o.requests > 100'000) Usage("--requests must be within 1..100000");
  if (o.operators < std::max(o.clients, o.concurrent_logins) || o.operators > 400) {
    Usage("--operators must be within max(--clients, --concurrent-logins)..400");
  }
  if (o.events < 1 || o.events > 90'000) Usage("--events must be within 1..90000 (the gateway holds 100,000)");
  if (!(o.feed_rate >= 1 && o.feed_rate <= 100'000)) Usage("--feed-rate must be within 1..100000");
  if (!(o.idle_s >= 0 && o.idle_s <= 600)) Usage("--idle-s must be within 0..600");
  if (o.restarts < 1 || o.restarts > 50) Usage("--restarts must be within 1..50");
  if (o.concurrent_logins > 64) Usage("--concurrent-logins must be at most 64");
  if (!(o.rate_limit == 0 || o.rate_limit >= 1)) Usage("--rate-limit must be 0 (the gateway's default) or >= 1");
  return o;
}

// The options of one service (its binary, its log, no --json).
CommonOptions ServiceOptions(const Options& o, const std::string& binary, const std::string& name) {
  CommonOptions s = o;
  s.service_binary = binary;
  s.service_args.clear();
  s.json_path.clear();
  if (!o.service_log.empty()) s.service_log = o.service_log + "." + name + ".log";
  return s;
}

double Round2(double x) { return std::round(x * 100) / 100; }

json Memory(pid_t pid) { return {{"vmrss_mb", StatusMb(pid, "VmRSS")}, {"vmhwm_mb", StatusMb(pid, "VmHWM")}}; }

int HttpPort(const std::string& ready_file) { return json::parse(ReadFile(ready_file)).value("http_port", 0); }

std::string BinaryInfo(const std::string& path) {
  struct stat built {};
  if (::stat(path.c_str(), &built) != 0) return path;
  return path + " (modified " + common::ToPgTimestamp(std::chrono::system_clock::from_time_t(built.st_mtime)) + ")";
}

// ------------------------------------------------------------------ gRPC

std::shared_ptr<grpc::Channel> Connect(int port) {
  grpc::ChannelArguments args;
  // Each client its own connection, as separate operators' desks would be.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(32 * 1024 * 1024);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args);
}

// What the gateway sends along with each call it makes for a user.
void Prepare(grpc::ClientContext& c, const std::string& actor) {
  c.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  c.AddMetadata("cityops-role", kOperatorRole);
  c.AddMetadata("cityops-actor", actor);
}

std::string Describe(const grpc::Status& s) {
  return "gRPC " + std::to_string(static_cast<int>(s.error_code())) + ": " + s.error_message();
}

// ------------------------------------------------------------------ HTTP/1.1 keep-alive client

struct HttpReply {
  int status = 0;
  std::string body;
  std::string error;  // empty when the exchange went through
};

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

int OpenLoopback(int port, std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// One connection to the gateway, kept open between requests (HTTP/1.1
// keep-alive), opened again when the server closed it.
class HttpConnection {
 public:
  explicit HttpConnection(int port) : port_(port) {}
  ~HttpConnection() { Close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // One request; `token` empty: no Authorization header.
  HttpReply Exchange(const std::string& method, const std::string& target, const std::string& token,
                     const std::string& body) {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    if (method != "GET") {
      request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    // A kept connection the server closed meanwhile (its idle timeout) fails
    // before any answer: once more on a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = fd_ >= 0;
      if (fd_ < 0) {
        std::string error;
        fd_ = OpenLoopback(port_, error);
        if (fd_ < 0) return {0, "", error};
        ++connects_;
        in_.clear();
      }
      bool nothing_back = false;
      HttpReply reply = Once(request, nothing_back);
      if (reply.error.empty() || !reused || !nothing_back) return reply;
      ++retries_;
    }
    return {0, "", "the connection closed twice before an answer"};
  }

  size_t connects() const { return connects_; }
  size_t retries() const { return retries_; }

 private:
  HttpReply Once(const std::string& request, bool& nothing_back) {
    HttpReply reply;
    if (!SendAll(fd_, request)) {
      nothing_back = true;
      Close();
      reply.error = "send failed";
      return reply;
    }
    size_t header_end = std::string::npos;
    while ((header_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive()) {
        nothing_back = in_.empty();
        Close();
        reply.error = nothing_back ? "closed before an answer" : "closed in the middle of the headers";
        return reply;
      }
    }
    const std::string_view head(in_.data(), header_end);
    const size_t space = head.find(' ');
    if (!StartsWithNoCase(head, "HTTP/1.") || space == std::string_view::npos) {
      Close();
      reply.error = "not an HTTP response";
      return reply;
    }
    reply.status = std::atoi(in_.c_str() + space + 1);
    size_t length = 0;
    bool close = false;
    size_t line_start = head.find("\r\n");
    while (line_start != std::string_view::npos && line_start < head.size()) {
      line_start += 2;
      size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = head.size();
      const std::string_view line = head.substr(line_start, line_end - line_start);
      if (StartsWithNoCase(line, "content-length:")) {
        length = std::strtoull(std::string(line.substr(15)).c_str(), nullptr, 10);
      } else if (StartsWithNoCase(line, "connection:")) {
        close = line.find("close") != std::string_view::npos;
      } else if (StartsWithNoCase(line, "transfer-encoding:")) {
        Close();
        reply.error = "chunked answers are not read by this client";
        return reply;
      }
      line_start = line_end;
    }
    const size_t need = header_end + 4 + length;
    while (in_.size() < need) {
      if (!Receive()) {
        Close();
        reply.error = "closed in the middle of the body";
        return reply;
      }
    }
    reply.body = in_.substr(header_end + 4, length);
    in_.erase(0, need);
    if (close) Close();
    return reply;
  }

  bool Receive() {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    in_.clear();
  }

  int port_;
  int fd_ = -1;
  std::string in_;
  size_t connects_ = 0;
  size_t retries_ = 0;
};

size_t CountOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string HttpError(const HttpReply& r) {
  if (!r.error.empty()) return r.error;
  return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
}

// ------------------------------------------------------------------ users and logins

struct Login {
  std::string token;
  double ms = 0;
  std::string error;
};

Login LogIn(HttpConnection& http, const std::string& user, const std::string& password) {
  const std::string body = json{{"username", user}, {"password", password}}.dump();
  const int64_t t0 = NowNs();
  const HttpReply r = http.Exchange("POST", "/api/v1/auth/login", "", body);
  Login out;
  out.ms = Millis(NowNs() - t0);
  if (!r.error.empty() || r.status != 200) {
    out.error = HttpError(r);
    return out;
  }
  const json answer = json::parse(r.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("token") || !answer["token"].is_string()) {
    out.error = "no token in " + r.body.substr(0, 200);
    return out;
  }
  out.token = answer["token"].get<std::string>();
  return out;
}

struct Operator {
  std::string name;
  std::string password;
  std::string token;
};

// --------------------------------------------------------------- the live feed's clients

// Clients of GET /api/v1/events, all read by one thread (epoll), each event
// stamped when its bytes were read from the socket. The bench's events carry
// "<run id>/w<k>" (warm-up) or "<run id>/e<k>" (timed) as their event id.
class FeedClients {
 public:
  FeedClients(int port, std::string run_id, size_t events)
      : port_(port), marker_(std::move(run_id) + "/"), events_(events) {}
  ~FeedClients() {
    Stop();
    for (const auto& c : clients_) {
      if (c->fd >= 0) ::close(c->fd);
    }
    if (epoll_ >= 0) ::close(epoll_);
  }
  FeedClients(const FeedClients&) = delete;
  FeedClients& operator=(const FeedClients&) = delete;

  // Opens one stream per token, each answered 200 text/event-stream (throws
  // otherwise); the time from connect to the answer's headers of each.
  std::vector<double> Connect(const std::vector<std::string>& tokens) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
    std::vector<double> ms;
    for (size_t k = 0; k < tokens.size(); ++k) {
      const int64_t t0 = NowNs();
      std::string error;
      const int fd = OpenLoopback(port_, error);
      if (fd < 0) throw std::runtime_error("feed client " + std::to_string(k) + ": " + error);
      auto client = std::make_unique<Client>();
      client->fd = fd;
      client->arrived_ns.assign(events_, 0);
      clients_.push_back(std::move(client));
      const std::string request =
          "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
          tokens[k] + "\r\n\r\n";
      if (!SendAll(fd, request)) throw std::runtime_error("feed client " + std::to_string(k) + ": send failed");
      std::string in;
      size_t header_end = std::string::npos;
      char buf[4096];
      while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) throw std::runtime_error("feed client " + std::to_string(k) + ": closed before its headers");
        in.append(buf, static_cast<size_t>(n));
      }
      ms.push_back(Millis(NowNs() - t0));
      const std::string head = in.substr(0, header_end);
      const size_t space = head.find(' ');
      const int status = space == std::string::npos ? 0 : std::atoi(head.c_str() + space + 1);
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (status != 200 || lower.find("content-type: text/event-stream") == std::string::npos) {
        throw std::runtime_error("feed client " + std::to_string(k) + ": answered " + head.substr(0, 200) + " " +
                                 in.substr(header_end + 4, 200));
      }
      if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        throw std::runtime_error("the live feed answers chunked; this client reads a plain stream");
      }
      clients_.back()->buffer = in.substr(header_end + 4);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = k;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) throw std::runtime_error("epoll_ctl failed");
    }
    thread_ = std::thread([this] { Loop(); });
    return ms;
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  size_t size() const { return clients_.size(); }

  // How many clients saw warm-up event `k`.
  size_t SawWarmup(size_t k) {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& c : clients_) n += c->warmups.count(k);
    return n;
  }
  // Timed events received, over every client (duplicates not counted).
  size_t Received() {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& c : clients_) n += c->received;
    return n;
  }
  // The id of the last event a client was sent ("<epoch>-<seq>").
  std::string LastId() {
    std::lock_guard lock(mu_);
    return last_id_;
  }
  size_t Open() {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& c : clients_) n += c->closed ? 0 : 1;
    return n;
  }

  // After Stop: the figures against the events' produce times.
  json Report(const std::vector<int64_t>& sent_ns) {
    std::lock_guard lock(mu_);
    std::vector<double> all;
    all.reserve(clients_.size() * events_);
    std::vector<double> to_last;
    std::vector<double> to_first;
    size_t complete = 0;
    size_t missing = 0;
    size_t duplicates = 0;
    size_t foreign = 0;
    size_t keep_alives = 0;
    size_t closed = 0;
    size_t bytes = 0;
    std::map<std::string, size_t> other_types;
    std::vector<double> per_client_p99;
    for (const auto& c : clients_) {
      std::vector<double> mine;
      size_t got = 0;
      for (size_t k = 0; k < events_; ++k) {
        if (c->arrived_ns[k] == 0 || sent_ns[k] == 0) continue;
        ++got;
        mine.push_back(Millis(c->arrived_ns[k] - sent_ns[k]));
      }
      all.insert(all.end(), mine.begin(), mine.end());
      per_client_p99.push_back(Percentile(mine, 99));
      complete += got == events_ ? 1 : 0;
      missing += events_ - got;
      duplicates += c->duplicates;
      foreign += c->foreign;
      keep_alives += c->keep_alives;
      closed += c->closed ? 1 : 0;
      bytes += c->bytes;
      for (const auto& [type, n] : c->other_types) other_types[type] += n;
    }
    for (size_t k = 0; k < events_; ++k) {
      int64_t first = 0;
      int64_t last = 0;
      bool everyone = true;
      for (const auto& c : clients_) {
        const int64_t at = c->arrived_ns[k];
        if (at == 0) {
          everyone = false;
          continue;
        }
        first = first == 0 ? at : std::min(first, at);
        last = std::max(last, at);
      }
      if (first != 0) to_first.push_back(Millis(first - sent_ns[k]));
      if (everyone && last != 0) to_last.push_back(Millis(last - sent_ns[k]));
    }
    return {{"latency_ms", Summary(all, Round2)},
            {"to_first_client_ms", Summary(to_first, Round2)},
            {"to_last_client_ms", Summary(to_last, Round2)},
            {"per_client_p99_ms",
             {{"best",
               per_client_p99.empty() ? 0.0 : Round2(*std::min_element(per_client_p99.begin(), per_client_p99.end()))},
              {"median", Round2(Median(per_client_p99))},
              {"worst", Round2(Percentile(per_client_p99, 100))}}},
            {"clients_with_every_event", complete},
            {"events_missing", missing},
            {"duplicates", duplicates},
            {"incident_events_not_from_the_bench", foreign},
            {"other_event_types", other_types},
            {"keep_alive_comments", keep_alives},
            {"clients_closed_by_the_gateway", closed},
            {"bytes_read", bytes}};
  }

 private:
  struct Client {
    int fd = -1;
    std::string buffer;
    std::vector<int64_t> arrived_ns;
    std::set<size_t> warmups;
    size_t received = 0;
    size_t duplicates = 0;
    size_t foreign = 0;
    size_t keep_alives = 0;
    size_t bytes = 0;
    bool closed = false;
    std::map<std::string, size_t> other_types;
  };

  void Loop() {
    std::vector<epoll_event> ready(64);
    char buf[65536];
    while (!stop_.load()) {
      const int n = ::epoll_wait(epoll_, ready.data(), static_cast<int>(ready.size()), 100);
      if (n <= 0) continue;
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        Client& c = *clients_[ready[static_cast<size_t>(i)].data.u64];
        int64_t stamp = 0;
        for (;;) {
          const ssize_t got = ::recv(c.fd, buf, sizeof(buf), 0);
          if (got > 0) {
            if (stamp == 0) stamp = NowNs();
            c.buffer.append(buf, static_cast<size_t>(got));
            c.bytes += static_cast<size_t>(got);
            continue;
          }
          if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          if (got < 0 && errno == EINTR) continue;
          c.closed = true;  // EOF or error
          ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
          break;
        }
        Parse(c, stamp);
      }
    }
  }

  // Takes the complete events ("...\n\n") out of the client's buffer.
  void Parse(Client& c, int64_t stamp) {
    size_t start = 0;
    for (size_t end = c.buffer.find("\n\n"); end != std::string::npos; end = c.buffer.find("\n\n", start)) {
      const std::string_view block(c.buffer.data() + start, end - start);
      start = end + 2;
      std::string_view type;
      std::string_view data;
      std::string_view id;
      bool comment = false;
      size_t line_start = 0;
      while (line_start <= block.size()) {
        size_t line_end = block.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = block.size();
        const std::string_view line = block.substr(line_start, line_end - line_start);
        if (line.starts_with(":")) comment = true;
        if (line.starts_with("event:")) type = line.substr(line.size() > 6 && line[6] == ' ' ? 7 : 6);
        if (line.starts_with("data:")) data = line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
        if (line.starts_with("id:")) id = line.substr(line.size() > 3 && line[3] == ' ' ? 4 : 3);
        line_start = line_end + 1;
      }
      if (type.empty()) {
        c.keep_alives += comment ? 1 : 0;
        continue;
      }
      if (!id.empty()) last_id_ = std::string(id);
      if (type != "incident") {
        ++c.other_types[std::string(type)];
        continue;
      }
      const size_t at = data.find(marker_);
      if (at == std::string_view::npos || at + marker_.size() + 1 >= data.size()) {
        ++c.foreign;
        continue;
      }
      const char kind = data[at + marker_.size()];
      const size_t k = std::strtoull(std::string(data.substr(at + marker_.size() + 1, 12)).c_str(), nullptr, 10);
      if (kind == 'w') {
        c.warmups.insert(k);
      } else if (kind == 'e' && k < events_) {
        if (c.arrived_ns[k] != 0) {
          ++c.duplicates;
        } else {
          c.arrived_ns[k] = stamp;
          ++c.received;
        }
      } else {
        ++c.foreign;
      }
    }
    c.buffer.erase(0, start);
  }

  const int port_;
  const std::string marker_;
  const size_t events_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<Client>> clients_;
  std::string last_id_;
  std::mutex mu_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A client that resumes the feed from `last_event_id` and reads what the
// gateway holds until nothing came for a second: how many events of each
// type, their data's bytes, how long it took.
json Replay(int port, const std::string& token, const std::string& last_event_id) {
  std::string error;
  const int fd = OpenLoopback(port, error);
  if (fd < 0) return {{"error", error}};
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const int64_t t0 = NowNs();
  const std::string request =
      "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
      "Authorization: Bearer " +
      token + "\r\nLast-Event-ID: " + last_event_id + "\r\n\r\n";
  std::string in;
  int64_t last_data_ns = t0;
  if (SendAll(fd, request)) {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;  // a second without data (or closed)
      in.append(buf, static_cast<size_t>(n));
      last_data_ns = NowNs();
    }
  }
  ::close(fd);
  const size_t header_end = in.find("\r\n\r\n");
  if (header_end == std::string::npos) return {{"error", "no answer"}};
  std::map<std::string, size_t> by_type;
  size_t events = 0;
  size_t data_bytes = 0;
  size_t start = header_end + 4;
  for (size_t end = in.find("\n\n", start); end != std::string::npos; end = in.find("\n\n", start)) {
    const std::string_view block(in.data() + start, end - start);
    start = end + 2;
    const size_t event = block.find("event: ");
    const size_t data = block.find("data: ");
    if (event == std::string_view::npos) continue;
    const size_t event_end = block.find('\n', event);
    ++by_type[std::string(block.substr(event + 7, event_end - event - 7))];
    ++events;
    if (data != std::string_view::npos) {
      const size_t data_end = block.find('\n', data);
      data_bytes += (data_end == std::string_view::npos ? block.size() : data_end) - data - 6;
    }
  }
  return {
      {"last_event_id_sent", last_event_id},
      {"events", events},
      {"by_type", by_type},
      {"data_bytes", data_bytes},
      {"data_mb", Round1(static_cast<double>(data_bytes) / 1048576.0)},
      {"mean_event_bytes", events == 0 ? 0.0 : Round1(static_cast<double>(data_bytes) / static_cast<double>(events))},
      {"bytes_read", in.size()},
      {"seconds_to_last_byte", Round3(static_cast<double>(last_data_ns - t0) / 1e9)}};
}

// ------------------------------------------------------------------ the seed

// Lamps of different control cabinets of the simulator's Dijon (seed 1): one
// lamp failure each opens an incident of its own.
std::vector<const sim::CityAsset*> LampsOfDistinctCabinets(const sim::City& city, size_t n) {
  std::vector<const sim::CityAsset*> out;
  std::set<std::string> cabinets;
  for (const sim::CityAsset& a : city.assets()) {
    if (out.size() == n) break;
    if (a.kind != tv1::ASSET_KIND_LIGHT_POINT || a.parent_id.empty()) continue;
    if (!cabinets.insert(a.parent_id).second) continue;
    out.push_back(&a);
  }
  return out;
}

// Every incident correlation lists, newest first.
std::vector<iv1::Incident> ListAll(iv1::IncidentCorrelation::Stub& stub) {
  std::vector<iv1::Incident> out;
  std::string token;
  do {
    iv1::ListIncidentsRequest r;
    r.set_page_size(500);
    r.set_page_token(token);
    grpc::ClientContext c;
    Prepare(c, kProducer);
    iv1::ListIncidentsResponse page;
    if (const auto s = stub.ListIncidents(&c, r, &page); !s.ok())
      throw std::runtime_error("ListIncidents: " + Describe(s));
    for (auto& i : *page.mutable_incidents()) out.push_back(std::move(i));
    token = page.next_page_token();
  } while (!token.empty());
  return out;
}

json SeedIncidents(const Options& o, const std::string& run_id, common::KafkaProducer& producer,
                   const std::string& faults_topic, iv1::IncidentCorrelation::Stub& stub,
                   std::vector<iv1::Incident>& incidents) {
  const auto started = SteadyClock::now();
  const sim::City city = sim::GenerateCity({o.seed, 1.0, {}});
  const auto lamps = LampsOfDistinctCabinets(city, o.incidents);
  if (lamps.size() < o.incidents) {
    throw std::runtime_error("Dijon has only " + std::to_string(lamps.size()) + " cabinets with lamps");
  }
  const auto acks = std::make_shared<AckLog>(lamps.size());
  const common::TimePoint now = std::chrono::system_clock::now();
  for (size_t k = 0; k < lamps.size(); ++k) {
    const sim::CityAsset& a = *lamps[k];
    tv1::FaultEvent e;
    e.mutable_meta()->set_producer(kProducer);
    e.mutable_meta()->set_event_id(run_id + "/seed/" + std::to_string(k));
    *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(now);
    e.set_asset_id(a.id);
    e.set_asset_kind(a.kind);
    e.set_parent_id(a.parent_id);
    e.set_district(a.district);
    e.mutable_location()->set_lat(a.lat);
    e.mutable_location()->set_lon(a.lon);
    e.set_type(tv1::FAULT_TYPE_LAMP_FAILURE);
    e.set_state(tv1::FAULT_STATE_RAISED);
    e.set_source(tv1::FAULT_SOURCE_SELF_REPORTED);
    *e.mutable_at() = common::ToProtoTime(now);
    *e.mutable_since() = common::ToProtoTime(now);
    ProduceWaiting(producer, faults_topic, a.id, e.SerializeAsString(), RecordAck(acks, k));
  }
  const int unconfirmed = producer.Flush(std::chrono::seconds(30));
  if (unconfirmed > 0 || acks->failures.load() > 0) throw std::runtime_error("Kafka did not take every seed fault");
  for (;;) {
    incidents = ListAll(stub);
    if (incidents.size() >= o.incidents) break;
    if (SteadyClock::now() - started > std::chrono::seconds(120)) {
      throw std::runtime_error("incident-correlation lists " + std::to_string(incidents.size()) + " incidents, not " +
                               std::to_string(o.incidents) + ", two minutes after the faults");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return {{"how", "one LAMP_FAILURE raised on a lamp of each of the first cabinets of the simulator's Dijon (seed " +
                      std::to_string(o.seed) +
                      "), produced onto the faults topic; waited for until ListIncidents listed them"},
          {"faults", lamps.size()},
          {"incidents", incidents.size()},
          {"seconds", Round3(Seconds(SteadyClock::now() - started))}};
}

json SeedRequests(const Options& o, int calls_grpc_port, std::vector<std::string>& ids) {
  const auto started = SteadyClock::now();
  auto stub = cv1::ResidentCalls::NewStub(Connect(calls_grpc_port));
  std::mt19937_64 rng(o.seed * 7919 + 3);
  auto unit = [&rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
  const auto& districts = common::DistrictMap::Dijon();
  for (size_t k = 0; k < o.requests; ++k) {
    cv1::CreateRequestRequest r;
    r.set_category("street_lighting");
    r.set_description("The street light in front of number " + std::to_string(k + 1) + " has been out for two nights.");
    const int district =
        1 + static_cast<int>(unit() * static_cast<double>(districts.size())) % static_cast<int>(districts.size());
    const common::LatLon p = districts.RandomPointIn(district, unit);
    r.mutable_location()->set_lat(p.lat);
    r.mutable_location()->set_lon(p.lon);
    r.set_address(std::to_string(k + 1) + " rue de la Liberte");
    r.set_channel(cv1::REQUEST_CHANNEL_PHONE);
    r.set_recorded_by("bench-op-01");
    r.mutable_resident()->set_first_name("Camille");
    r.mutable_resident()->set_last_name("Martin");
    r.mutable_resident()->set_phone("+33 3 80 00 00 " + std::to_string(10 + k % 90));
    grpc::ClientContext c;
    Prepare(c, "bench-op-01");
    cv1::CreateRequestResponse response;
    if (const auto s = stub->CreateRequest(&c, r, &response); !s.ok()) {
      throw std::runtime_error("CreateRequest: " + Describe(s));
    }
    ids.push_back(response.request().request().id());
  }
  return {{"how", "gRPC CreateRequest (street_lighting, phone, with the resident's name and phone), one at a time"},
          {"requests", ids.size()},
          {"seconds", Round3(Seconds(SteadyClock::now() - started))}};
}

// ------------------------------------------------------------------ the questions, both ways

// One client: its gRPC channels, its connection to the gateway, its operator.
struct Client {
  Client(int incidents_port, int calls_port, int http_port, const Operator& op_, uint64_t seed)
      : incidents(iv1::IncidentCorrelation::NewStub(Connect(incidents_port))),
        calls(cv1::ResidentCalls::NewStub(Connect(calls_port))),
        http(http_port),
        op(op_),
        rng(seed) {}
  std::unique_ptr<iv1::IncidentCorrelation::Stub> incidents;
  std::unique_ptr<cv1::ResidentCalls::Stub> calls;
  HttpConnection http;
  const Operator& op;
  std::mt19937_64 rng;

  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
};

// What the questions are asked about.
struct Targets {
  std::vector<std::string> read_ids;  // incidents read (the newest half)
  std::vector<std::string> note_ids;  // incidents noted (the oldest half)
  std::vector<std::string> request_ids;
};

// One call's outcome.
struct Timed {
  double ms = 0;
  double items = 0;
  std::string error;
};

template <typename F>
Timed Time(F&& f) {
  const int64_t t0 = NowNs();
  auto [items, error] = f();
  return {Millis(NowNs() - t0), items, std::move(error)};
}

// A question asked both ways. Each function draws its target (not timed) and
// makes the call (timed).
struct Operation {
  std::string name;
  std::string grpc;
  std::string rest;
  std::function<Timed(Client&, const Targets&)> direct;
  std::function<Timed(Client&, const Targets&)> gateway;
};

std::pair<double, std::string> GrpcResult(const grpc::Status& s, double items) {
  return {items, s.ok() ? std::string() : Describe(s)};
}

std::pair<double, std::string> RestResult(const HttpReply& r, int expected, double items) {
  if (!r.error.empty() || r.status != expected) return {0, HttpError(r)};
  return {items, ""};
}

std::vector<Operation> Operations() {
  std::vector<Operation> ops;
  ops.push_back({"get_incident", "IncidentCorrelation.GetIncident", "GET /api/v1/incidents/{id}",
                 [](Client& c, const Targets& t) {
                   iv1::GetIncidentRequest r;
                   r.set_id(t.read_ids[c.Below(t.read_ids.size())]);
                   return Time([&] {
                     grpc::ClientContext ctx;
                     Prepare(ctx, c.op.name);
                     iv1::Incident out;
                     const auto s = c.incidents->GetIncident(&ctx, r, &out);
                     return GrpcResult(s, out.symptoms_size());
                   });
                 },
                 [](Client& c, const Targets& t) {
                   const std::string path = "/api/v1/incidents/" + t.read_ids[c.Below(t.read_ids.size())];
                   return Time([&] {
                     const HttpReply r = c.http.Exchange("GET", path, c.op.token, "");
                     return RestResult(r, 200, 1);
                   });
                 }});
  ops.push_back({"list_incidents", "IncidentCorrelation.ListIncidents (page_size 100)",
                 "GET /api/v1/incidents?pageSize=100",
                 [](Client& c, const Targets&) {
                   iv1::ListIncidentsRequest r;
                   r.set_page_size(100);
                   return Time([&] {
                     grpc::ClientContext ctx;
                     Prepare(ctx, c.op.name);
                     iv1::ListIncidentsResponse out;
                     const auto s = c.incidents->ListIncidents(&ctx, r, &out);
                     return GrpcResult(s, out.incidents_size());
                   });
                 },
                 [](Client& c, const Targets&) {
                   HttpReply r;
                   Timed t = Time([&] {
                     r = c.http.Exchange("GET", "/api/v1/incidents?pageSize=100", c.op.token, "");
                     return RestResult(r, 200, 0);
                   });
                   // Counted after the clock stopped, without parsing the
                   // JSON (the bench shares the machine's two cores): each
                   // incident has one "id" member holding an incident id.
                   if (t.error.empty()) t.items = static_cast<double>(CountOf(r.body, "\"id\":\"INC-"));
                   return t;
                 }});
  ops.push_back({"get_request", "ResidentCalls.GetRequest", "GET /api/v1/calls/requests/{id}",
                 [](Client& c, const Targets& t) {
                   cv1::GetRequestRequest r;
                   r.set_id(t.request_ids[c.Below(t.request_ids.size())]);
                   return Time([&] {
                     grpc::ClientContext ctx;
                     Prepare(ctx, c.op.name);
                     cv1::RequestDetail out;
                     const auto s = c.calls->GetRequest(&ctx, r, &out);
                     return GrpcResult(s, out.history_size());
                   });
                 },
                 [](Client& c, const Targets& t) {
                   const std::string path = "/api/v1/calls/requests/" + t.request_ids[c.Below(t.request_ids.size())];
                   return Time([&] {
                     const HttpReply r = c.http.Exchange("GET", path, c.op.token, "");
                     return RestResult(r, 200, 1);
                   });
                 }});
  ops.push_back({"add_note", "IncidentCorrelation.AddNote", "POST /api/v1/incidents/{id}/notes (audited)",
                 [](Client& c, const Targets& t) {
                   iv1::AddNoteRequest r;
                   r.set_id(t.note_ids[c.Below(t.note_ids.size())]);
                   r.set_actor(c.op.name);
                   r.set_text(kNoteText);
                   return Time([&] {
                     grpc::ClientContext ctx;
                     Prepare(ctx, c.op.name);
                     iv1::Incident out;
                     const auto s = c.incidents->AddNote(&ctx, r, &out);
                     return GrpcResult(s, out.notes_size());
                   });
                 },
                 [](Client& c, const Targets& t) {
                   const std::string path = "/api/v1/incidents/" + t.note_ids[c.Below(t.note_ids.size())] + "/notes";
                   const std::string body = json{{"text", kNoteText}}.dump();
                   return Time([&] {
                     const HttpReply r = c.http.Exchange("POST", path, c.op.token, body);
                     return RestResult(r, 200, 1);
                   });
                 }});
  return ops;
}

// Calls made, by path, for the checks at the end.
struct Tally {
  std::atomic<size_t> notes_direct{0};
  std::atomic<size_t> notes_gateway{0};
};

json Stats(const std::vector<Timed>& results, double wall_s) {
  std::vector<double> ms;
  ms.reserve(results.size());
  double items = 0;
  size_t errors = 0;
  std::string first_error;
  for (const Timed& t : results) {
    ms.push_back(t.ms);
    items += t.items;
    if (!t.error.empty()) {
      if (first_error.empty()) first_error = t.error;
      ++errors;
    }
  }
  json out = Summary(ms, Round3);
  out["errors"] = errors;
  if (!first_error.empty()) out["first_error"] = first_error;
  out["items_mean"] = ms.empty() ? 0.0 : Round1(items / static_cast<double>(ms.size()));
  if (wall_s > 0) {
    out["wall_s"] = Round3(wall_s);
    out["calls_per_s"] = Round1(static_cast<double>(ms.size()) / wall_s);
  }
  return out;
}

size_t CountOk(const std::vector<Timed>& results) {
  size_t n = 0;
  for (const Timed& t : results) n += t.error.empty() ? 1 : 0;
  return n;
}

// One at a time, both ways, call by call (the order alternating), after the
// warm-up; the gateway's overhead as the ratio of the medians.
json OneAtATime(const Options& o, const Operation& op, Client& client, const Targets& targets, Tally& tally) {
  size_t warm_direct = 0;
  size_t warm_gateway = 0;
  for (size_t i = 0; i < o.warmup; ++i) {
    warm_direct += op.direct(client, targets).error.empty() ? 1 : 0;
    warm_gateway += op.gateway(client, targets).error.empty() ? 1 : 0;
  }
  std::vector<Timed> direct;
  std::vector<Timed> gateway;
  direct.reserve(o.calls);
  gateway.reserve(o.calls);
  const size_t connects_before = client.http.connects();
  for (size_t i = 0; i < o.calls; ++i) {
    if (i % 2 == 0) {
      direct.push_back(op.direct(client, targets));
      gateway.push_back(op.gateway(client, targets));
    } else {
      gateway.push_back(op.gateway(client, targets));
      direct.push_back(op.direct(client, targets));
    }
  }
  if (op.name == "add_note") {
    tally.notes_direct += CountOk(direct) + warm_direct;
    tally.notes_gateway += CountOk(gateway) + warm_gateway;
  }
  json d = Stats(direct, 0);
  json g = Stats(gateway, 0);
  const double d50 = d.value("p50", 0.0);
  const double g50 = g.value("p50", 0.0);
  const double d99 = d.value("p99", 0.0);
  const double g99 = g.value("p99", 0.0);
  return {{"grpc", d},
          {"gateway", g},
          {"ratio_p50", d50 > 0 ? Round2(g50 / d50) : 0.0},
          {"ratio_p99", d99 > 0 ? Round2(g99 / d99) : 0.0},
          {"overhead_p50_ms", Round3(g50 - d50)},
          {"gateway_reconnects", client.http.connects() - connects_before}};
}

// `calls` calls spread over every client of the pool, back to back, one way.
json Concurrent(const Options& o, const Operation& op, std::vector<std::unique_ptr<Client>>& pool,
                const Targets& targets, bool through_gateway, pid_t gateway_pid, Tally& tally) {
  const size_t n = pool.size();
  std::vector<std::vector<Timed>> results(n);
  std::vector<std::vector<Timed>> warm(n);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (size_t k = 0; k < n; ++k) {
    const size_t mine = o.calls / n + (k < o.calls % n ? 1 : 0);
    results[k].reserve(mine);
    threads.emplace_back([&, k, mine] {
      // Each client's connection is up before the clock starts.
      for (size_t i = 0; i < 3; ++i) warm[k].push_back((through_gateway ? op.gateway : op.direct)(*pool[k], targets));
      while (!go.load()) std::this_thread::yield();
      for (size_t i = 0; i < mine; ++i) {
        results[k].push_back((through_gateway ? op.gateway : op.direct)(*pool[k], targets));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CpuWindow cpu;
  cpu.Start(gateway_pid);
  const auto started = SteadyClock::now();
  go = true;
  for (auto& t : threads) t.join();
  const double wall = Seconds(SteadyClock::now() - started);
  std::vector<Timed> all;
  for (auto& r : results) all.insert(all.end(), r.begin(), r.end());
  if (op.name == "add_note") {
    size_t warmed = 0;
    for (const auto& w : warm) warmed += CountOk(w);
    (through_gateway ? tally.notes_gateway : tally.notes_direct) += CountOk(all) + warmed;
  }
  json out = Stats(all, wall);
  out["clients"] = n;
  json c = cpu.Finish(wall);
  if (through_gateway) {
    out["gateway_cpu_ms_per_call"] =
        Round3(c["service_cpu_s"].get<double>() * 1000.0 / static_cast<double>(all.size()));
  }
  for (const auto& p : c["processes"]) {
    out["cpu_ms_per_call_by_process"][p["name"].get<std::string>()] =
        Round3(p["cpu_s"].get<double>() * 1000.0 / static_cast<double>(all.size()));
  }
  out["system_busy_pct"] = c["system_busy_pct"];
  return out;
}

// ------------------------------------------------------------------ the feed's events

// The seeded incidents as the events incident-correlation writes (UPDATED,
// keyed by incident id), serialized when sent (so that occurred_at is then).
class FeedProducer {
 public:
  FeedProducer(common::KafkaProducer& producer, std::string topic, std::string run_id,
               const std::vector<iv1::Incident>& incidents)
      : producer_(producer), topic_(std::move(topic)), run_id_(std::move(run_id)), incidents_(incidents) {}

  // Event "<run>/<kind><k>"; the steady time just before produce.
  int64_t Send(char kind, size_t k, const common::DeliveryCallback& done) {
    const iv1::Incident& incident = incidents_[k % incidents_.size()];
    iv1::IncidentEvent e;
    e.mutable_meta()->set_event_id(run_id_ + "/" + kind + std::to_string(k));
    e.mutable_meta()->set_producer(kProducer);
    e.set_change(iv1::INCIDENT_CHANGE_UPDATED);
    *e.mutable_incident() = incident;
    const int64_t sent = NowNs();
    *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(std::chrono::system_clock::now());
    ProduceWaiting(producer_, topic_, incident.id(), e.SerializeAsString(), done);
    return sent;
  }

 private:
  common::KafkaProducer& producer_;
  std::string topic_;
  std::string run_id_;
  const std::vector<iv1::Incident>& incidents_;
};

// The gateway's CPU over `seconds` of nothing happening.
json Idle(pid_t gateway_pid, double seconds) {
  if (seconds <= 0) return nullptr;
  CpuWindow cpu;
  cpu.Start(gateway_pid);
  const auto started = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const json c = cpu.Finish(Seconds(SteadyClock::now() - started));
  return {{"seconds", seconds},
          {"gateway_cpu_s", c["service_cpu_s"]},
          {"gateway_cpus", c["service_cpus"]},
          {"gateway_threads", c["service_threads"]}};
}

// ------------------------------------------------------------------ the table

void PrintTable(const Options& o, const json& out) {
  std::cout << std::fixed << std::setprecision(2) << "\ngateway vs direct gRPC, one at a time, " << o.calls
            << " calls each way after " << o.warmup << " warm-up pairs (ms)\n"
            << std::left << std::setw(46) << "what" << std::right << std::setw(9) << "p50" << std::setw(9) << "p99"
            << std::setw(9) << "max" << std::setw(12) << "ratio p50" << std::setw(12) << "ratio p99"
            << "\n";
  for (const auto& name : out["operations"]) {
    const json& op = out["latency"][name.get<std::string>()];
    const json& one = op["one_at_a_time"];
    std::cout << std::left << std::setw(46) << op["grpc_method"].get<std::string>() << std::right << std::setw(9)
              << one["grpc"]["p50"].get<double>() << std::setw(9) << one["grpc"]["p99"].get<double>() << std::setw(9)
              << one["grpc"]["max"].get<double>() << "\n";
    std::cout << std::left << std::setw(46) << op["rest_route"].get<std::string>() << std::right << std::setw(9)
              << one["gateway"]["p50"].get<double>() << std::setw(9) << one["gateway"]["p99"].get<double>()
              << std::setw(9) << one["gateway"]["max"].get<double>() << std::setw(11) << one["ratio_p50"].get<double>()
              << "x" << std::setw(11) << one["ratio_p99"].get<double>() << "x\n";
  }
  std::cout << "\n"
            << o.clients << " concurrent clients, " << o.calls << " calls: calls/s direct gRPC | gateway "
            << "(p50 / p99 ms through the gateway, gateway CPU ms per call)\n";
  for (const auto& name : out["operations"]) {
    const json& c = out["latency"][name.get<std::string>()]["concurrent"];
    std::cout << "  " << std::left << std::setw(16) << name.get<std::string>() << std::right << std::setw(9)
              << std::setprecision(0) << c["grpc"]["calls_per_s"].get<double>() << " | " << std::setw(6)
              << c["gateway"]["calls_per_s"].get<double>() << std::setprecision(2) << "   ("
              << c["gateway"]["p50"].get<double>() << " / " << c["gateway"]["p99"].get<double>() << ", "
              << c["gateway"]["gateway_cpu_ms_per_call"].get<double>() << ")\n";
  }
  const json& login = out["login"]["sequential"];
  std::cout << "\nlogin (Argon2id), " << login["count"].get<size_t>() << " users one at a time: p50 "
            << login["p50"].get<double>() << " ms, p99 " << login["p99"].get<double>() << " ms";
  if (out["login"].contains("concurrent") && !out["login"]["concurrent"].is_null()) {
    const json& cl = out["login"]["concurrent"];
    std::cout << "; " << cl["logins"].get<size_t>() << " at once: p50 " << cl["latency_ms"]["p50"].get<double>()
              << " ms, max " << cl["latency_ms"]["max"].get<double>() << " ms, VmHWM "
              << cl["vmhwm_mb_before"].get<double>() << " -> " << cl["vmhwm_mb_after"].get<double>() << " MiB";
  }
  const json& f = out["feed"];
  std::cout << "\nlive feed: " << f["clients"].get<size_t>() << " clients x " << f["events"].get<size_t>()
            << " incident events at " << std::setprecision(0) << o.feed_rate << "/s: produce -> client p50 "
            << std::setprecision(2) << f["latency_ms"]["p50"].get<double>() << " ms, p99 "
            << f["latency_ms"]["p99"].get<double>() << " ms, max " << f["latency_ms"]["max"].get<double>()
            << " ms; to the last client p99 " << f["to_last_client_ms"]["p99"].get<double>() << " ms\n"
            << "  every client got every event exactly once: "
            << (f["every_client_every_event_once"].get<bool>() ? "yes" : "NO") << " ("
            << f["clients_with_every_event"].get<size_t>() << " of " << f["clients"].get<size_t>() << " complete, "
            << f["events_missing"].get<size_t>() << " missing, " << f["duplicates"].get<size_t>() << " duplicates)\n";
  const json& m = out["memory"];
  std::cout << std::setprecision(1) << "gateway memory (MiB): at ready " << m["at_ready"]["vmrss_mb"].get<double>()
            << ", with " << f["clients"].get<size_t>() << " feed clients VmRSS "
            << m["feed_clients_connected"]["vmrss_mb"].get<double>() << " / VmHWM "
            << m["feed_clients_connected"]["vmhwm_mb"].get<double>() << ", after the events VmRSS "
            << m["after_feed"]["vmrss_mb"].get<double>() << " / VmHWM " << m["after_feed"]["vmhwm_mb"].get<double>()
            << "; bar " << kBarRssMb << " MB\n"
            << "gateway start to ready: median " << out["ready_ms"]["median"].get<double>() << " ms of "
            << out["ready_ms"]["each"].dump()
            << " (first start, empty schema: " << out["services"]["gateway"]["ready_ms_first"].get<double>()
            << " ms); bar " << kBarReadyMs << " ms\n";
}

// ------------------------------------------------------------------ the run

int Run(const Options& o) {
  json out;
  out["date"] = UtcNow();
  out["machine"] = MachineInfo();
  out["machine"]["note"] = "Kafka and PostgreSQL run on the same machine as the services and the bench";
  if (!o.note.empty()) out["note"] = o.note;
  out["options"] = {{"calls", o.calls},
                    {"warmup", o.warmup},
                    {"clients", o.clients},
                    {"incidents", o.incidents},
                    {"requests", o.requests},
                    {"operators", o.operators},
                    {"events", o.events},
                    {"feed_rate", o.feed_rate},
                    {"idle_s", o.idle_s},
                    {"restarts", o.restarts},
                    {"concurrent_logins", o.concurrent_logins},
                    {"rate_limit", o.rate_limit},
                    {"gateway_args", o.gateway_args},
                    {"seed", o.seed}};

  const CommonOptions gw_o = ServiceOptions(o, o.service_binary, "gateway");
  const CommonOptions corr_o = ServiceOptions(o, o.correlation_binary, "incident-correlation");
  const CommonOptions calls_o = ServiceOptions(o, o.calls_binary, "resident-calls");
  const RunSetup gw = RunSetup::Prepare(gw_o, "CITYOPS_GATEWAY_PG_DSN", "cityops-gateway-bench", "gateway.log", Usage);
  RunSetup corr = RunSetup::Prepare(corr_o, "CITYOPS_INCIDENT_CORRELATION_PG_DSN", "cityops-gateway-bench-correlation",
                                    "incident-correlation.log", Usage);
  RunSetup calls = RunSetup::Prepare(calls_o, "CITYOPS_RESIDENT_CALLS_PG_DSN", "cityops-gateway-bench-calls",
                                     "resident-calls.log", Usage);
  corr.prefix = gw.prefix;  // one set of topics for the three
  calls.prefix = gw.prefix;

  Sandbox gw_box(gw.env, "gateway-bench", o.topics_file, gw.prefix, gw.schema, o.keep);
  Sandbox corr_box(corr.env, "gateway-bench", o.topics_file, corr.prefix, corr.schema, o.keep);
  Sandbox calls_box(calls.env, "gateway-bench", o.topics_file, calls.prefix, calls.schema, o.keep);

  // A copy of the gateway's binary is what runs: a build relinking it
  // meanwhile (the tree is shared) cannot pull it from under the restarts.
  const std::string gateway_binary = gw.work + "/gateway";
  std::filesystem::copy_file(o.service_binary, gateway_binary, std::filesystem::copy_options::overwrite_existing);
  out["binaries"] = {{"gateway", BinaryInfo(o.service_binary)},
                     {"incident-correlation", BinaryInfo(o.correlation_binary)},
                     {"resident-calls", BinaryInfo(o.calls_binary)}};

  const std::string admin_password = RandomName(24);
  // The DSNs and the gateway's secrets travel in the environment.
  const auto corr_env = ServiceEnvironment({"CITYOPS_PG_DSN=" + corr.env.service_dsn});
  const auto calls_env = ServiceEnvironment({"CITYOPS_PG_DSN=" + calls.env.service_dsn});
  const auto gw_env = ServiceEnvironment(
      {"CITYOPS_PG_DSN=" + gw.env.service_dsn, "CITYOPS_GATEWAY_JWT_SECRET=" + RandomName(48),
       std::string("CITYOPS_GATEWAY_ADMIN_USER=") + kAdminUser, "CITYOPS_GATEWAY_ADMIN_PASSWORD=" + admin_password});

  ServiceProcess correlation;
  ServiceProcess resident_calls;
  std::vector<std::unique_ptr<ServiceProcess>> gateways;
  int exit_code = 0;
  std::vector<std::string> failures;
  CpuWindow whole_run;
  const auto run_started = SteadyClock::now();
  try {
    json services;
    const double corr_ready = correlation.StartUntilReady(o.correlation_binary, corr.ServiceArgs(corr_o), corr_env,
                                                          corr.service_log, corr.ready_file);
    const ReadyPorts corr_ports = ReadReadyFile(corr.ready_file);
    std::vector<std::string> calls_args = calls.ServiceArgs(calls_o);
    calls_args.emplace_back("--http-address=127.0.0.1:0");
    const double calls_ready =
        resident_calls.StartUntilReady(o.calls_binary, calls_args, calls_env, calls.service_log, calls.ready_file);
    const ReadyPorts calls_ports = ReadReadyFile(calls.ready_file);
    services["incident-correlation"] = {{"ready_ms", Round1(corr_ready)}, {"schema", corr.schema}};
    services["resident-calls"] = {{"ready_ms", Round1(calls_ready)}, {"schema", calls.schema}};

    std::vector<std::string> gw_args = gw.ServiceArgs(gw_o);
    gw_args.insert(gw_args.end(),
                   {"--http-address=127.0.0.1:0", "--incidents-address=127.0.0.1:" + std::to_string(corr_ports.grpc),
                    "--calls-address=127.0.0.1:" + std::to_string(calls_ports.grpc),
                    std::string("--telemetry-address=") + kNowhere, std::string("--dispatch-address=") + kNowhere,
                    std::string("--lighting-address=") + kNowhere});
    if (o.rate_limit > 0) {
      std::ostringstream limit;
      limit << std::fixed << std::setprecision(0) << o.rate_limit;
      gw_args.push_back("--rate-limit=" + limit.str());
      gw_args.push_back("--rate-burst=" + limit.str());
    }
    gw_args.insert(gw_args.end(), o.gateway_args.begin(), o.gateway_args.end());
    auto gw_log = [&gw](size_t k) { return k == 0 ? gw.service_log : gw.service_log + ".restart" + std::to_string(k); };
    gateways.push_back(std::make_unique<ServiceProcess>());
    const double gw_ready = gateways[0]->StartUntilReady(gateway_binary, gw_args, gw_env, gw_log(0), gw.ready_file);
    const ReadyPorts gw_ports = ReadReadyFile(gw.ready_file);
    const int http_port = HttpPort(gw.ready_file);
    if (http_port <= 0) throw std::runtime_error("the gateway's ready file has no http_port");
    ServiceProcess& gateway = *gateways[0];
    whole_run.Start(gateway.pid());
    json shown_args = json::array();
    for (const std::string& a : gw_args) {
      shown_args.push_back(a.starts_with("--ready-file=") ? std::string("--ready-file=<work folder>/ready.json") : a);
    }
    services["gateway"] = {{"ready_ms_first", Round1(gw_ready)},
                           {"schema", gw.schema},
                           {"args", shown_args},
                           {"note",
                            "the routes of telemetry-ingest, crew-dispatch and lighting-control point at a "
                            "closed port (not started, not timed)"}};
    std::cout << std::fixed << std::setprecision(1) << "incident-correlation ready in " << corr_ready
              << " ms, resident-calls in " << calls_ready << " ms, gateway in " << gw_ready << " ms (pid "
              << gateway.pid() << ", http port " << http_port << "); topics " << gw.prefix << "*\n";
    json memory;
    memory["at_ready"] = Memory(gateway.pid());

    // ---- users and logins
    HttpConnection admin_http(http_port);
    const Login admin = LogIn(admin_http, kAdminUser, admin_password);
    if (!admin.error.empty()) throw std::runtime_error("the admin's login: " + admin.error);
    std::vector<Operator> operators(o.operators);
    std::vector<double> create_ms;
    for (size_t k = 0; k < o.operators; ++k) {
      char name[32];
      std::snprintf(name, sizeof(name), "bench-op-%02zu", k + 1);
      operators[k].name = name;
      operators[k].password = RandomName(20);
      const std::string body =
          json{{"username", operators[k].name}, {"password", operators[k].password}, {"role", kOperatorRole}}.dump();
      const int64_t t0 = NowNs();
      const HttpReply r = admin_http.Exchange("POST", "/api/v1/users", admin.token, body);
      create_ms.push_back(Millis(NowNs() - t0));
      if (!r.error.empty() || r.status != 201) throw std::runtime_error("POST /api/v1/users: " + HttpError(r));
    }
    std::vector<double> login_ms;
    {
      HttpConnection http(http_port);
      for (Operator& op : operators) {
        const Login l = LogIn(http, op.name, op.password);
        if (!l.error.empty()) throw std::runtime_error("login of " + op.name + ": " + l.error);
        op.token = l.token;
        login_ms.push_back(l.ms);
      }
    }
    json login;
    login["how"] = "POST /api/v1/auth/login of each operator once, one after the other, on one kept connection";
    login["sequential"] = Summary(login_ms, Round2);
    login["admin_first_login_ms"] = Round2(admin.ms);
    json users = {{"created", o.operators},
                  {"how", "POST /api/v1/users as the admin (Argon2id hash, audited), one after the other"},
                  {"create_ms", Summary(create_ms, Round2)}};
    memory["after_logins"] = Memory(gateway.pid());
    std::cout << o.operators << " operators created (p50 " << std::setprecision(1) << Median(create_ms)
              << " ms each), logged in: p50 " << Percentile(login_ms, 50) << " ms, p99 " << Percentile(login_ms, 99)
              << " ms\n";

    // ---- the seed
    common::KafkaSettings kafka = gw_box.kafka();
    kafka.client_id = "gateway-bench";
    auto made = common::KafkaProducer::Create(kafka);
    if (!made.ok()) throw std::runtime_error("Kafka producer: " + made.status().ToString());
    std::unique_ptr<common::KafkaProducer> producer = std::move(*made);
    auto seed_stub = iv1::IncidentCorrelation::NewStub(Connect(corr_ports.grpc));
    std::vector<iv1::Incident> incidents;
    json seed;
    seed["incidents"] =
        SeedIncidents(o, gw.run_id, *producer, gw_box.Topic(topics::kTelemetryFaults), *seed_stub, incidents);
    Targets targets;
    seed["requests"] = SeedRequests(o, calls_ports.grpc, targets.request_ids);
    // Newest first: the newest half is read, the oldest half gets the notes
    // (so that what is read does not grow during the run).
    for (size_t k = 0; k < incidents.size(); ++k) {
      (k < incidents.size() / 2 ? targets.read_ids : targets.note_ids).push_back(incidents[k].id());
    }
    std::cout << "seeded " << incidents.size() << " incidents in " << seed["incidents"]["seconds"].get<double>()
              << " s and " << targets.request_ids.size() << " residents' requests in "
              << seed["requests"]["seconds"].get<double>() << " s\n";

    // ---- latency, both ways
    std::vector<std::unique_ptr<Client>> pool;
    for (size_t k = 0; k < o.clients; ++k) {
      pool.push_back(
          std::make_unique<Client>(corr_ports.grpc, calls_ports.grpc, http_port, operators[k], o.seed * 1000 + k));
    }
    Tally tally;
    const std::vector<Operation> ops = Operations();
    json latency;
    json names = json::array();
    for (const Operation& op : ops) {
      names.push_back(op.name);
      std::cout << op.name << ": one at a time" << std::flush;
      json r = {{"grpc_method", op.grpc}, {"rest_route", op.rest}};
      r["one_at_a_time"] = OneAtATime(o, op, *pool[0], targets, tally);
      std::cout << " (gRPC p50 " << std::setprecision(2) << r["one_at_a_time"]["grpc"]["p50"].get<double>()
                << " ms, gateway " << r["one_at_a_time"]["gateway"]["p50"].get<double>() << " ms), " << o.clients
                << " clients" << std::flush;
      r["concurrent"]["grpc"] = Concurrent(o, op, pool, targets, false, gateway.pid(), tally);
      r["concurrent"]["gateway"] = Concurrent(o, op, pool, targets, true, gateway.pid(), tally);
      std::cout << " (" << std::setprecision(0) << r["concurrent"]["grpc"]["calls_per_s"].get<double>() << " | "
                << r["concurrent"]["gateway"]["calls_per_s"].get<double>() << " calls/s)\n";
      for (const json* part : {&r["one_at_a_time"]["grpc"], &r["one_at_a_time"]["gateway"], &r["concurrent"]["grpc"],
                               &r["concurrent"]["gateway"]}) {
        if ((*part)["errors"].get<size_t>() > 0) {
          failures.push_back(op.name + ": " + std::to_string((*part)["errors"].get<size_t>()) +
                             " failed calls, the first: " + (*part)["first_error"].get<std::string>());
        }
      }
      latency[op.name] = r;
      memory["after_" + op.name] = Memory(gateway.pid());
    }
    out["operations"] = names;
    out["latency"] = latency;
    out["latency_how"] =
        "one at a time: one client (operator bench-op-01), the gRPC call and the REST call of each pair back to back, "
        "which goes first alternating, after the warm-up pairs; a gRPC call is timed from the stub call to its parsed "
        "answer (own channel, cityops-role and cityops-actor metadata as the gateway sends them), a REST call from "
        "writing the request on the kept connection to the last byte of the answer read (the JSON is not parsed); "
        "concurrent: the calls spread over the clients, each its own gRPC channel, its own HTTP connection and its "
        "own operator's token, back to back, gRPC alone then the gateway alone; incidents read: the newer half of "
        "the seeded ones, notes added to the older half (ListIncidents' first 100 are never noted)";
    out["rate_limit_note"] =
        o.rate_limit > 0
            ? "the gateway ran with --rate-limit and --rate-burst at " +
                  std::to_string(static_cast<long long>(o.rate_limit)) +
                  " so that its per-user limit (default 20/s, burst 40) does not shape the figures; the limiter is "
                  "still taken on every request"
            : "the gateway's default per-user rate limit (20/s, burst 40)";
    size_t reconnects = 0;
    size_t retries = 0;
    for (const auto& c : pool) {
      reconnects += c->http.connects();
      retries += c->http.retries();
    }
    out["http_connections_opened"] = reconnects;
    out["http_retries_after_idle_close"] = retries;
    pool.clear();

    // ---- checks: the notes and the audit
    {
      size_t notes = 0;
      for (const std::string& id : targets.note_ids) {
        iv1::GetIncidentRequest r;
        r.set_id(id);
        grpc::ClientContext c;
        Prepare(c, kProducer);
        iv1::Incident incident;
        if (const auto s = seed_stub->GetIncident(&c, r, &incident); !s.ok()) {
          throw std::runtime_error("GetIncident: " + Describe(s));
        }
        notes += static_cast<size_t>(incident.notes_size());
      }
      const std::string audit = gw_box.admin().quote_name(gw.schema) + ".audit";
      const size_t audited_ok = std::stoull(gw_box.Scalar("SELECT count(*) FROM " + audit +
                                                          " WHERE route = '/api/v1/incidents/{id}/notes' AND "
                                                          "http_status = 200 AND result = 'ok'"));
      const size_t audited_all =
          std::stoull(gw_box.Scalar("SELECT count(*) FROM " + audit + " WHERE route = '/api/v1/incidents/{id}/notes'"));
      const size_t sent = tally.notes_direct.load() + tally.notes_gateway.load();
      out["checks"]["notes"] = {{"added_directly", tally.notes_direct.load()},
                                {"added_through_gateway", tally.notes_gateway.load()},
                                {"on_the_incidents", notes},
                                {"notes_per_noted_incident",
                                 Round1(static_cast<double>(notes) / static_cast<double>(targets.note_ids.size()))},
                                {"audit_rows", audited_all},
                                {"audit_rows_ok", audited_ok}};
      if (notes != sent)
        failures.push_back("the incidents hold " + std::to_string(notes) + " notes, not " + std::to_string(sent));
      if (audited_ok != tally.notes_gateway.load() || audited_all != audited_ok) {
        failures.push_back("the audit has " + std::to_string(audited_ok) + " ok rows (" + std::to_string(audited_all) +
                           " in all) for " + std::to_string(tally.notes_gateway.load()) + " notes through the gateway");
      }
    }

    // ---- the live feed
    json feed;
    feed["idle_without_clients"] = Idle(gateway.pid(), o.idle_s);
    const size_t events_before =
        static_cast<size_t>(ScrapeMetric(gw_ports.metrics, "cityops_gateway_feed_events_total").value_or(0));
    feed["gateway_feed_events_before"] = events_before;
    FeedClients clients(http_port, gw.run_id, o.events);
    std::vector<std::string> tokens;
    tokens.reserve(operators.size());
    for (const Operator& op : operators) tokens.push_back(op.token);
    const std::vector<double> connect_ms = clients.Connect(tokens);
    feed["connect_ms"] = Summary(connect_ms, Round2);
    const double gauge = ScrapeMetric(gw_ports.metrics, "cityops_gateway_feed_clients").value_or(-1);
    feed["gateway_feed_clients_gauge"] = gauge;
    feed["idle_with_clients"] = Idle(gateway.pid(), o.idle_s);
    memory["feed_clients_connected"] = Memory(gateway.pid());
    const std::string incidents_topic = gw_box.Topic(topics::kIncidents);
    FeedProducer feeder(*producer, incidents_topic, gw.run_id, incidents);
    {
      // Warm-up: an event every 500 ms until every client saw one (the
      // gateway's consumer joined its group, every stream carries events).
      const auto started = SteadyClock::now();
      size_t k = 0;
      bool all = false;
      while (!all && SteadyClock::now() - started < std::chrono::seconds(30)) {
        feeder.Send('w', k, [](const common::DeliveryResult&) {});
        producer->Flush(std::chrono::seconds(5));
        for (int i = 0; i < 10 && !all; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          all = clients.SawWarmup(k) == clients.size();
        }
        ++k;
      }
      feed["warmup"] = {
          {"events", k}, {"seconds", Round3(Seconds(SteadyClock::now() - started))}, {"every_client", all}};
      if (!all) throw std::runtime_error("the live feed's clients did not all see a warm-up event in 30 s");
    }
    std::cout << o.operators << " feed clients connected (gauge " << gauge << "); " << o.events
              << " incident events at " << std::setprecision(0) << o.feed_rate << "/s" << std::flush;
    std::vector<int64_t> sent_ns(o.events, 0);
    const auto acks = std::make_shared<AckLog>(o.events);
    CpuWindow feed_cpu;
    feed_cpu.Start(gateway.pid());
    const auto feed_started = SteadyClock::now();
    for (size_t k = 0; k < o.events; ++k) {
      const auto due = feed_started + std::chrono::duration_cast<SteadyClock::duration>(
                                          std::chrono::duration<double>(static_cast<double>(k) / o.feed_rate));
      std::this_thread::sleep_until(due);
      sent_ns[k] = feeder.Send('e', k, RecordAck(acks, k));
    }
    const double send_s = Seconds(SteadyClock::now() - feed_started);
    const int unconfirmed = producer->Flush(std::chrono::seconds(30));
    // Until every client has every event, or nothing arrived for 10 s.
    size_t last_count = 0;
    auto last_progress = SteadyClock::now();
    const size_t expected = o.events * clients.size();
    while (clients.Received() < expected) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const size_t now_count = clients.Received();
      if (now_count != last_count) {
        last_count = now_count;
        last_progress = SteadyClock::now();
      } else if (SteadyClock::now() - last_progress > std::chrono::seconds(10)) {
        break;
      }
    }
    const double feed_wall = Seconds(SteadyClock::now() - feed_started);
    const json cpu = feed_cpu.Finish(feed_wall);
    memory["after_feed"] = Memory(gateway.pid());
    const size_t still_open = clients.Open();
    clients.Stop();
    json report = clients.Report(sent_ns);
    for (auto& [key, value] : report.items()) feed[key] = value;
    std::vector<double> ack_ms;
    for (size_t k = 0; k < o.events; ++k) {
      const int64_t a = acks->acked_ns[k].load();
      if (a != 0) ack_ms.push_back(Millis(a - sent_ns[k]));
    }
    feed["how"] =
        "IncidentEvents (the seeded incidents, change UPDATED, keyed by incident id) produced at a steady rate onto "
        "the prefixed incidents topic; latency = when the client read the event's bytes from its socket - just "
        "before the bench's produce call (one steady clock); each client its own operator and token, no ?types";
    feed["clients"] = clients.size();
    feed["events"] = o.events;
    feed["rate_per_s"] = o.feed_rate;
    feed["send_s"] = Round3(send_s);
    feed["produce_to_kafka_ack_ms"] = Summary(ack_ms, Round2);
    feed["kafka_delivery_failures"] = acks->failures.load() + static_cast<size_t>(std::max(unconfirmed, 0));
    feed["clients_open_at_end"] = still_open;
    feed["gateway_cpu"] = {{"cpu_s", cpu["service_cpu_s"]},
                           {"cpus", cpu["service_cpus"]},
                           {"threads", cpu["service_threads"]},
                           {"processes", cpu["processes"]}};
    feed["gateway_feed_events_counted"] =
        ScrapeMetric(gw_ports.metrics, "cityops_gateway_feed_events_total").value_or(0) -
        static_cast<double>(events_before);
    const bool every =
        feed["clients_with_every_event"].get<size_t>() == clients.size() && feed["duplicates"].get<size_t>() == 0;
    feed["every_client_every_event_once"] = every;
    if (!every) {
      failures.push_back("live feed: " + std::to_string(feed["events_missing"].get<size_t>()) + " events missing, " +
                         std::to_string(feed["duplicates"].get<size_t>()) + " duplicates over " +
                         std::to_string(clients.size()) + " clients");
    }
    std::cout << ": p50 " << std::setprecision(1) << feed["latency_ms"]["p50"].get<double>() << " ms, p99 "
              << feed["latency_ms"]["p99"].get<double>() << " ms, every client every event: " << (every ? "yes" : "NO")
              << "\n";
    // What the gateway holds for clients that reconnect: everything since its
    // start, replayed to one client resuming from the first id.
    {
      const std::string last_id = clients.LastId();
      const size_t dash = last_id.rfind('-');
      if (dash != std::string::npos) {
        const double rss_before = StatusMb(gateway.pid(), "VmRSS");
        json replay = Replay(http_port, operators[0].token, last_id.substr(0, dash) + "-0");
        replay["how"] =
            "one client resuming from the first id of this gateway (Last-Event-ID <epoch>-0): every event it still "
            "holds (feed window 30 min, at most 100,000 events), read until a second passed without data";
        replay["gateway_vmrss_mb_before"] = rss_before;
        replay["gateway_vmrss_mb_after"] = StatusMb(gateway.pid(), "VmRSS");
        feed["held_for_reconnects"] = replay;
        std::cout << "the gateway holds " << replay.value("events", size_t{0}) << " events ("
                  << replay.value("data_mb", 0.0) << " MiB of JSON) for clients that reconnect\n";
      }
    }
    out["feed"] = feed;
    // The clients go (their connections close with the object).

    // ---- logins at the same moment
    if (o.concurrent_logins > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const double hwm_before = StatusMb(gateway.pid(), "VmHWM");
      const double rss_before = StatusMb(gateway.pid(), "VmRSS");
      std::vector<Login> results(o.concurrent_logins);
      std::vector<std::thread> threads;
      std::atomic<bool> go{false};
      for (size_t k = 0; k < o.concurrent_logins; ++k) {
        threads.emplace_back([&, k] {
          HttpConnection http(http_port);
          (void)http.Exchange("GET", "/healthz", "", "");  // connected before the start
          while (!go.load()) std::this_thread::yield();
          results[k] = LogIn(http, operators[k].name, operators[k].password);
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      go = true;
      for (auto& t : threads) t.join();
      std::vector<double> ms;
      for (const Login& l : results) {
        ms.push_back(l.ms);
        if (!l.error.empty()) failures.push_back("concurrent login: " + l.error);
      }
      login["concurrent"] = {{"logins", o.concurrent_logins},
                             {"how", "that many operators' logins started at the same moment, each on its connection"},
                             {"latency_ms", Summary(ms, Round2)},
                             {"vmrss_mb_before", rss_before},
                             {"vmhwm_mb_before", hwm_before},
                             {"vmrss_mb_after", StatusMb(gateway.pid(), "VmRSS")},
                             {"vmhwm_mb_after", StatusMb(gateway.pid(), "VmHWM")}};
    }
    out["login"] = login;
    out["users"] = users;
    out["seed"] = seed;
    memory["before_stop"] = Memory(gateway.pid());
    out["memory"] = memory;
    out["cpu_whole_run"] = whole_run.Finish(Seconds(SteadyClock::now() - run_started));
    out["cpu_whole_run"]["note"] =
        "CPU seconds by process over the whole machine from the gateway's first ready to the restarts: who else "
        "was using it";

    // ---- restarts: start to ready
    json ready = json::array();
    json stops = json::array();
    for (size_t k = 1; k <= o.restarts; ++k) {
      const auto stop_at = SteadyClock::now();
      const int code = gateways.back()->Stop(std::chrono::seconds(30));
      stops.push_back(
          {{"stop_ms", Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count())},
           {"exit_code", code}});
      if (code != 0) {
        std::cerr << "gateway_bench: gateway instance " << k - 1 << " exited " << code << "; its log:\n"
                  << LogTail(gw_log(k - 1), 30);
        failures.push_back("the gateway exited " + std::to_string(code) + " on SIGTERM");
      }
      gateways.push_back(std::make_unique<ServiceProcess>());
      ready.push_back(
          Round1(gateways.back()->StartUntilReady(gateway_binary, gw_args, gw_env, gw_log(k), gw.ready_file)));
    }
    {
      HttpConnection http(HttpPort(gw.ready_file));
      const HttpReply health = http.Exchange("GET", "/healthz", "", "");
      if (health.status != 200) failures.push_back("/healthz after the restarts: " + HttpError(health));
    }
    const std::vector<double> ready_v = ready.get<std::vector<double>>();
    out["ready_ms"] = {{"each", ready},
                       {"median", Round1(Median(ready_v))},
                       {"max", Round1(*std::max_element(ready_v.begin(), ready_v.end()))},
                       {"how", "the gateway stopped (SIGTERM) and started again on its schema (" +
                                   std::to_string(o.operators + 1) + " users, the audit), fork to ready file"}};
    out["memory"]["at_ready_after_restart"] = Memory(gateways.back()->pid());
    out["stops"] = stops;
    std::cout << "gateway restarted " << o.restarts << " times: ready in " << ready.dump() << " ms\n";

    for (auto [name, process, log] :
         {std::tuple<const char*, ServiceProcess*, std::string>{"gateway", gateways.back().get(), gw_log(o.restarts)},
          {"resident-calls", &resident_calls, calls.service_log},
          {"incident-correlation", &correlation, corr.service_log}}) {
      const auto stop_at = SteadyClock::now();
      const int code = process->Stop(std::chrono::seconds(30));
      services[name]["stop_ms"] =
          Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count());
      services[name]["exit_code"] = code;
      if (code != 0) {
        std::cerr << "gateway_bench: " << name << " exited " << code << "; its log's tail:\n" << LogTail(log, 30);
        failures.push_back(std::string(name) + " exited " + std::to_string(code) + " on SIGTERM");
      }
    }
    out["services"] = services;
  } catch (...) {
    for (auto& p : gateways) {
      if (p->Running()) p->Stop(std::chrono::seconds(20));
    }
    for (ServiceProcess* p : {&resident_calls, &correlation}) {
      if (p->Running()) p->Stop(std::chrono::seconds(20));
    }
    calls.Abort(calls_box);
    corr.Abort(corr_box);
    gw.Abort(gw_box);
    throw;
  }
  const double rss_feed = out["memory"]["feed_clients_connected"]["vmrss_mb"].get<double>();
  const double hwm_feed = out["memory"]["after_feed"]["vmhwm_mb"].get<double>();
  const double ready_max = out["ready_ms"]["max"].get<double>();
  out["bars"] = {{"rss_mb_max", kBarRssMb},
                 {"vmrss_mb_with_feed_clients", rss_feed},
                 {"vmhwm_mb_after_feed", hwm_feed},
                 {"rss_ok", hwm_feed < kBarRssMb},
                 {"ready_ms_max", kBarReadyMs},
                 {"ready_ms_worst", ready_max},
                 {"ready_ok", ready_max < kBarReadyMs}};
  out["failures"] = failures;
  if (!failures.empty()) {
    exit_code = 1;
    for (const auto& f : failures) std::cerr << "gateway_bench: " << f << "\n";
  }
  PrintTable(o, out);
  calls.Finish(calls_o, exit_code, calls_box, out);
  corr.Finish(corr_o, exit_code, corr_box, out);
  gw.Finish(o, exit_code, gw_box, out);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName("gateway_bench");
  const Options options = ParseOptions(argc, argv);
  return BenchMain([&] { return Run(options); });
}
