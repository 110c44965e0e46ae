// calls_bench: resident-calls with a year of Dijon's residents' calls stored,
// measured the way phone operators and residents' apps use it.
//
//   the year: a fresh schema and prefixed topics, resident-calls as a child
//            process (a copy of its binary); --per-day x --days requests
//            (600 x 365 = 219,000) in a category and channel mix stated
//            below, at random points of the 24 districts (DistrictMap::Dijon(),
//            a district drawn uniformly, a point uniform inside it), created
//            600 a day over the --days days before last local midnight, ~5%
//            still open (the younger the likelier), the rest closed after a
//            time drawn from their category's target, each change with its
//            status history entry, the personal data of requests closed more
//            than 90 days ago purged as the retention sweep does; VACUUM
//            ANALYZE. --preload sql (the default) writes it by SQL COPY into
//            the service's tables after its migrations ran, then measures the
//            creation throughput with --burst CreateRequest at full speed from
//            --create-clients clients (deleted afterwards); --preload grpc
//            creates the whole year through CreateRequest (its throughput is
//            the figure) and then writes the year's times into those rows by
//            SQL (CreateRequest stamps "now"). The service's memory after it.
//   ready:   the service restarted --restarts times on the year, each timed
//            from fork to its ready file.
//   calls:   --rounds rounds; in each, every operation --calls times one at a
//            time (one client, back to back: an operator's pace) and then
//            --calls times spread over --clients concurrent clients (each on
//            its own connection, back to back): SuggestDuplicates at a random
//            city point, GetRequest of a stored request, ListRequests (first
//            page of a district's open requests), GetStatistics over 30 and
//            over 365 days, Open311 GET requests.json?status=open over HTTP,
//            CreateRequest (phone, with the resident's data) and Open311 POST
//            requests.json (a blocking HTTP/1.0 client, one connection per
//            request). After each round the requests the calls created are
//            deleted by SQL, so that every round reads the same year.
//            p50/p99/max per round, and the medians of the rounds.
// Memory (VmRSS, VmHWM) after the preload, at ready, after each operation and
// after the calls, the start-to-ready times, and what used the CPU go to a
// JSON file and a table.
//
// Usage: calls_bench [--json FILE] [--per-day N] [--days N] [--calls N] [--clients N]
//          [--rounds N] [--restarts N] [--preload sql|grpc] [--burst N] [--create-clients N]
//          [--seed N] [--only OP]... [--service-binary PATH] [--topics-file PATH]
//          [--service-log FILE] [--service-log-level L] [--service-arg ARG]... [--keep]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
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
#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/common/districts.h"
#include "cityops/common/proto_time.h"

namespace {

using namespace cityops::bench;  // NOLINT(google-build-using-namespace): the bench's own toolbox
namespace cv1 = cityops::calls::v1;
namespace common = cityops::common;

#ifndef CITYOPS_BENCH_TOPICS_FILE
#define CITYOPS_BENCH_TOPICS_FILE "deploy/topics.json"
#endif
#ifndef CITYOPS_BENCH_SERVICE_BINARY
#define CITYOPS_BENCH_SERVICE_BINARY "resident-calls"
#endif

// The quality bars of the brief, at Dijon scale.
constexpr double kBarRssMb = 100.0;
constexpr double kBarReadyMs = 2000.0;

// The Open311 client the bench is (a sandbox key, not a secret).
constexpr char kApiClient[] = "calls-bench";
constexpr char kApiKey[] = "calls-bench-key-0123456789";
// The role phone operators' calls carry (allowed to see residents' data).
constexpr char kOperatorRole[] = "operator";
// config/calls.json: personal_data.retention_days.
constexpr int kRetentionDays = 90;
constexpr auto kDay = std::chrono::hours(24);
constexpr auto kCallDeadline = std::chrono::seconds(30);

// ------------------------------------------------------------------ the mix

// The bench's choice (see README): the share of each category among a
// year's requests, in line with dispatch_bench's residents' calls.
struct CategoryShare {
  const char* code;
  double share;
  const char* description;
};

constexpr CategoryShare kCategoryMix[] = {
    {"street_lighting", 0.18, "Street light out since yesterday evening, the pavement is dark."},
    {"roads", 0.17, "Deep pothole in the right lane, cars swerve around it."},
    {"refuse_collection", 0.12, "The bins of the building were not emptied this week."},
    {"cleanliness", 0.12, "Graffiti on the wall and litter all along the pavement."},
    {"green_spaces", 0.12, "A large branch hangs over the path in the park."},
    {"bulky_items", 0.10, "An old sofa and a mattress left on the pavement."},
    {"other", 0.09, "A bench is broken at the bus stop."},
    {"traffic_lights", 0.06, "The traffic lights at the junction stay red in every direction."},
    {"public_buildings", 0.04, "The side door of the school does not close any more."},
};

struct ChannelShare {
  cv1::RequestChannel channel;
  double share;
};

// Dijon's calls are mostly phoned in; the rest through the residents' app
// (Open311) and the city's web form.
constexpr ChannelShare kChannelMix[] = {
    {cv1::REQUEST_CHANNEL_PHONE, 0.65},
    {cv1::REQUEST_CHANNEL_APP, 0.25},
    {cv1::REQUEST_CHANNEL_WEB, 0.10},
};

// Of the requests still open: received, acknowledged, in progress.
constexpr std::pair<cv1::RequestStatus, double> kOpenStatusMix[] = {
    {cv1::REQUEST_STATUS_OPEN, 0.4},
    {cv1::REQUEST_STATUS_ACKNOWLEDGED, 0.3},
    {cv1::REQUEST_STATUS_IN_PROGRESS, 0.3},
};

// A request of age A is still open with probability exp(-A / tau): all of
// yesterday's are likely open, a third of those 18 days old, none of a year
// ago; over a year of 600 a day it leaves tau / 365 = 5% open.
constexpr double kOpenTauDays = 18.25;
// A closed one took its category's target times a log-normal factor
// (median 0.5, so most meet their target; one in ten takes 1.4 x or more).
constexpr double kCloseFactorMedian = 0.5;
constexpr double kCloseFactorSigma = 0.8;
// The share of a day's requests between 08:00 and 18:00 local time.
constexpr double kOfficeHoursShare = 0.85;
constexpr auto kLocalOffset = std::chrono::hours(1);  // Dijon, winter

constexpr const char* kStreets[] = {"rue de la Liberte", "boulevard de Sevigne", "avenue Jean Jaures",
                                    "rue Monge",         "place Darcy",          "rue Chabot-Charny",
                                    "avenue du Drapeau", "rue d'Auxonne",        "boulevard Carnot",
                                    "rue de Mirande",    "rue des Godrans",      "avenue Victor Hugo"};
constexpr const char* kFirstNames[] = {"Camille", "Lea",   "Hugo",  "Louis", "Chloe",
                                       "Jules",   "Manon", "Lucas", "Ines",  "Nathan"};
constexpr const char* kLastNames[] = {"Martin",  "Bernard", "Dubois", "Thomas", "Robert",
                                      "Richard", "Petit",   "Durand", "Leroy",  "Moreau"};

// ------------------------------------------------------------------ options

struct Options : CommonOptions {
  Options() {
    service_binary = CITYOPS_BENCH_SERVICE_BINARY;
    topics_file = CITYOPS_BENCH_TOPICS_FILE;
  }
  size_t per_day = 600;
  size_t days = 365;
  size_t calls = 1000;
  size_t clients = 8;
  size_t rounds = 3;
  size_t restarts = 3;
  size_t create_clients = 8;
  // How the year gets stored: "sql" (COPY) or "grpc" (CreateRequest, then its times by SQL).
  std::string preload = "sql";
  // CreateRequest at full speed for the creation throughput (with --preload sql).
  size_t burst = 10'000;
  uint64_t seed = 1;
  std::set<std::string> only;  // operations to run; empty: all

  size_t Preload() const { return per_day * days; }
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "calls_bench: " << problem << "\n"
            << "usage: calls_bench [--json FILE] [--per-day N] [--days N] [--calls N] [--clients N]\n"
            << "         [--rounds N] [--restarts N] [--preload sql|grpc] [--burst N] [--create-clients N]\n"
            << "         [--seed N] [--only OP]...\n"
            << "         [--service-binary PATH] [--topics-file PATH] [--service-log FILE]\n"
            << "         [--service-log-level LEVEL] [--service-arg ARG]... [--keep]\n"
            << "needs CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN (deploy/local/stack.sh env)\n";
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (const auto& [name, v] : SplitFlags(argc, argv, CommonOptions::BareFlags(), Usage)) {
    if (name == "no-restart") Usage("--no-restart: this bench always restarts (--restarts N)");
    if (o.TakeFlag(name, v)) continue;
    if (name == "per-day") {
      o.per_day = CountFlag(name, v, Usage);
    } else if (name == "days") {
      o.days = CountFlag(name, v, Usage);
    } else if (name == "calls") {
      o.calls = CountFlag(name, v, Usage);
    } else if (name == "clients") {
      o.clients = CountFlag(name, v, Usage);
    } else if (name == "rounds") {
      o.rounds = CountFlag(name, v, Usage);
    } else if (name == "restarts") {
      o.restarts = CountFlag(name, v, Usage);
    } else if (name == "create-clients") {
      o.create_clients = CountFlag(name, v, Usage);
    } else if (name == "preload") {
      o.preload = v;
    } else if (name == "burst") {
      o.burst = CountFlag(name, v, Usage);
    } else if (name == "seed") {
      o.seed = CountFlag(name, v, Usage);
    } else if (name == "only") {
      o.only.insert(v);
    } else {
      Usage("unknown flag --" + name);
    }
  }
  if (o.per_day < 1 || o.per_day > 100'000) Usage("--per-day must be within 1..100000");
  if (o.days < 1 || o.days > 365) Usage("--days must be within 1..365 (statistics take at most 366 days)");
  if (o.calls < 10 || o.calls > 1'000'000) Usage("--calls must be within 10..1000000");
  if (o.clients < 2 || o.clients > 64) Usage("--clients must be within 2..64");
  if (o.rounds < 1 || o.rounds > 20) Usage("--rounds must be within 1..20");
  if (o.restarts < 1 || o.restarts > 20) Usage("--restarts must be within 1..20");
  if (o.create_clients < 1 || o.create_clients > 64) Usage("--create-clients must be within 1..64");
  if (o.preload != "sql" && o.preload != "grpc") Usage("--preload must be sql or grpc");
  if (o.burst < 100 || o.burst > 1'000'000) Usage("--burst must be within 100..1000000");
  return o;
}

double Round2(double x) { return std::round(x * 100) / 100; }

template <typename T, size_t N>
std::discrete_distribution<size_t> Weights(const T (&mix)[N], double (*share)(const T&)) {
  std::vector<double> w;
  w.reserve(N);
  for (const T& m : mix) w.push_back(share(m));
  return {w.begin(), w.end()};
}

// ------------------------------------------------------------------ requests as residents make them

// Draws what a resident reports: category, channel, place, address, who.
class CallMaker {
 public:
  explicit CallMaker(uint64_t seed)
      : rng_(seed),
        category_(Weights(
            kCategoryMix, +[](const CategoryShare& c) { return c.share; })),
        channel_(Weights(
            kChannelMix, +[](const ChannelShare& c) { return c.share; })) {}

  std::mt19937_64& rng() { return rng_; }
  double Unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  size_t Category() { return category_(rng_); }
  cv1::RequestChannel Channel() { return kChannelMix[channel_(rng_)].channel; }
  int District() { return static_cast<int>(Below(common::DistrictMap::Dijon().size())) + 1; }

  // A district drawn uniformly, a point uniform inside it.
  common::LatLon Point() {
    return common::DistrictMap::Dijon().RandomPointIn(District(), [this] { return Unit(); });
  }

  std::string Address() { return std::to_string(1 + Below(120)) + " " + kStreets[Below(std::size(kStreets))]; }

  // A resident as an operator or the app records them.
  cv1::Resident Resident(cv1::RequestChannel channel) {
    cv1::Resident r;
    const std::string first = kFirstNames[Below(std::size(kFirstNames))];
    const std::string last = kLastNames[Below(std::size(kLastNames))];
    r.set_email(Lower(first) + "." + Lower(last) + std::to_string(Below(1000)) + "@example.org");
    if (channel == cv1::REQUEST_CHANNEL_PHONE) {
      r.set_first_name(first);
      r.set_last_name(last);
      char phone[32];
      std::snprintf(phone, sizeof(phone), "+33 3 80 %02zu %02zu %02zu", Below(100), Below(100), Below(100));
      r.set_phone(phone);
    }
    return r;
  }

  cv1::CreateRequestRequest Create(size_t category, cv1::RequestChannel channel) {
    cv1::CreateRequestRequest r;
    r.set_category(kCategoryMix[category].code);
    r.set_description(kCategoryMix[category].description);
    const common::LatLon p = Point();
    r.mutable_location()->set_lat(p.lat);
    r.mutable_location()->set_lon(p.lon);
    r.set_address(Address());
    r.set_channel(channel);
    switch (channel) {
      case cv1::REQUEST_CHANNEL_PHONE:
        r.set_recorded_by("operator-" + std::to_string(1 + Below(12)));
        break;
      case cv1::REQUEST_CHANNEL_APP:
        r.set_recorded_by(std::string("open311:") + kApiClient);
        break;
      default:
        r.set_recorded_by("web-form");
        break;
    }
    // Every phone call leaves a name and number; nine app or web requests in ten an e-mail.
    if (channel == cv1::REQUEST_CHANNEL_PHONE || Unit() < 0.9) *r.mutable_resident() = Resident(channel);
    return r;
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  std::mt19937_64 rng_;
  std::discrete_distribution<size_t> category_;
  std::discrete_distribution<size_t> channel_;
};

// ------------------------------------------------------------------ gRPC and HTTP clients

std::shared_ptr<grpc::Channel> Connect(int port) {
  grpc::ChannelArguments args;
  // Each client its own connection, as separate operators' desks would be.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args);
}

void Prepare(grpc::ClientContext& c) {
  c.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  c.AddMetadata("cityops-role", kOperatorRole);
}

std::string Describe(const grpc::Status& s) {
  return "gRPC " + std::to_string(static_cast<int>(s.error_code())) + ": " + s.error_message();
}

struct HttpReply {
  int status = 0;
  std::string body;
  std::string error;  // empty when the exchange went through
};

// One HTTP/1.0 exchange on its own connection to 127.0.0.1:port (the server
// closes after the response).
HttpReply HttpExchange(int port, const std::string& method, const std::string& path, const std::string& body) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    reply.error = "socket failed";
    return reply;
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    reply.error = "connect failed";
    return reply;
  }
  std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (method == "POST") {
    request +=
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (sent == request.size()) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const auto end_of_headers = response.find("\r\n\r\n");
  if (end_of_headers == std::string::npos) {
    reply.error = "no HTTP response";
    return reply;
  }
  const auto space = response.find(' ');
  if (space != std::string::npos && space < end_of_headers) reply.status = std::atoi(response.c_str() + space + 1);
  reply.body = response.substr(end_of_headers + 4);
  return reply;
}

std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

size_t CountOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// ------------------------------------------------------------------ part 1: the year

// What is stored: ids (RQ-00000001...) and their category (index in
// kCategoryMix), in id order.
struct Stored {
  std::vector<std::string> ids;
  std::vector<uint8_t> category;
};

std::string RequestId(size_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "RQ-%08zu", number);
  return buf;
}

// `total` CreateRequest at full speed from `clients` clients, back to back,
// each on its own connection: the creation throughput. What they created
// goes to `stored` (in id order) when given.
json CreateBurst(int grpc_port, size_t total, size_t clients, uint64_t seed, Stored* stored) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<size_t> errors{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string first_error;
  std::vector<std::vector<std::pair<std::string, uint8_t>>> made(clients);
  std::vector<std::vector<double>> latencies(clients);
  std::map<std::string, size_t> by_category;
  std::map<std::string, size_t> by_channel;
  std::vector<std::thread> threads;
  const auto started = SteadyClock::now();
  for (size_t k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      auto stub = cv1::ResidentCalls::NewStub(Connect(grpc_port));
      CallMaker maker(seed + k);
      std::map<std::string, size_t> categories;
      std::map<std::string, size_t> channels;
      made[k].reserve(total / clients + 1);
      latencies[k].reserve(total / clients + 1);
      while (!stop.load()) {
        const size_t i = next.fetch_add(1);
        if (i >= total) break;
        const size_t category = maker.Category();
        const cv1::RequestChannel channel = maker.Channel();
        const cv1::CreateRequestRequest request = maker.Create(category, channel);
        grpc::ClientContext c;
        Prepare(c);
        cv1::CreateRequestResponse response;
        const int64_t t0 = NowNs();
        const grpc::Status s = stub->CreateRequest(&c, request, &response);
        latencies[k].push_back(Millis(NowNs() - t0));
        if (!s.ok()) {
          std::lock_guard lock(mu);
          if (first_error.empty()) first_error = Describe(s);
          if (errors.fetch_add(1) + 1 >= 100) stop = true;
          continue;
        }
        made[k].emplace_back(response.request().request().id(), static_cast<uint8_t>(category));
        ++categories[kCategoryMix[category].code];
        ++channels[cv1::RequestChannel_Name(channel)];
        done.fetch_add(1);
      }
      std::lock_guard lock(mu);
      for (const auto& [code, n] : categories) by_category[code] += n;
      for (const auto& [name, n] : channels) by_channel[name] += n;
    });
  }
  auto last_report = SteadyClock::now();
  while (done.load() + errors.load() < total && !stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (SteadyClock::now() - last_report >= std::chrono::seconds(15)) {
      last_report = SteadyClock::now();
      const double s = Seconds(last_report - started);
      std::cout << "  created " << done.load() << " of " << total << " after " << std::fixed << std::setprecision(0)
                << s << " s (" << static_cast<double>(done.load()) / s << "/s)\n";
    }
  }
  for (auto& t : threads) t.join();
  const double wall = Seconds(SteadyClock::now() - started);
  if (errors.load() > 0) {
    throw std::runtime_error(std::to_string(errors.load()) + " CreateRequest failed, the first: " + first_error);
  }
  std::vector<std::pair<std::string, uint8_t>> all;
  std::vector<double> lat;
  for (size_t k = 0; k < clients; ++k) {
    all.insert(all.end(), made[k].begin(), made[k].end());
    lat.insert(lat.end(), latencies[k].begin(), latencies[k].end());
  }
  if (stored != nullptr) {
    std::sort(all.begin(), all.end());
    for (auto& [id, category] : all) {
      stored->ids.push_back(std::move(id));
      stored->category.push_back(category);
    }
  }
  json out;
  out["how"] = "gRPC CreateRequest at full speed (mix of categories and channels), " + std::to_string(clients) +
               " clients back to back, each on its own connection";
  out["requests"] = total;
  out["clients"] = clients;
  out["seconds"] = Round1(wall);
  out["requests_per_s"] = Round1(static_cast<double>(total) / wall);
  out["latency_ms"] = Summary(lat, Round2);
  out["by_category"] = by_category;
  out["by_channel"] = by_channel;
  return out;
}

std::string Table(Sandbox& sandbox, const std::string& table) {
  return sandbox.admin().quote_name(sandbox.schema()) + "." + table;
}

// Waits until the relay published the whole outbox; the seconds it took.
double DrainOutbox(Sandbox& sandbox, std::chrono::seconds timeout) {
  const auto started = SteadyClock::now();
  const std::string count = "SELECT count(*) FROM " + Table(sandbox, "outbox");
  while (sandbox.Scalar(count) != "0") {
    if (SteadyClock::now() - started > timeout) throw std::runtime_error("the outbox was not drained in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return Seconds(SteadyClock::now() - started);
}

// Deletes the requests numbered above `last` (what the bench's calls
// created), so that every round reads the same year; how many.
size_t ForgetCreatedAfter(Sandbox& sandbox, const std::string& last) {
  pqxx::work tx(sandbox.admin());
  for (const char* table : {"residents", "status_history", "notes"}) {
    tx.exec_params("DELETE FROM " + Table(sandbox, table) + " WHERE request_id > $1", last);
  }
  const auto r = tx.exec_params("DELETE FROM " + Table(sandbox, "requests") + " WHERE id > $1", last);
  tx.commit();
  return r.affected_rows();
}

void VacuumAnalyze(Sandbox& sandbox) {
  for (const char* table : {"requests", "status_history", "notes", "residents", "outbox"}) {
    pqxx::nontransaction vacuum(sandbox.admin());
    vacuum.exec("VACUUM ANALYZE " + Table(sandbox, table));
  }
}

// Local midnight (UTC+1) at or before `t`.
common::TimePoint LocalMidnight(common::TimePoint t) {
  const auto local = std::chrono::floor<std::chrono::days>(t + kLocalOffset);
  return common::TimePoint(local) - kLocalOffset;
}

common::TimePoint::duration Hours(double h) {
  return std::chrono::duration_cast<common::TimePoint::duration>(std::chrono::duration<double, std::ratio<3600>>(h));
}

// The year's created times: per_day a day over the `days` days before last
// local midnight, 85% of each day's between 08:00 and 18:00, in order.
std::vector<common::TimePoint> YearTimes(const Options& o, common::TimePoint now, std::mt19937_64& rng) {
  auto unit = [&rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
  const common::TimePoint first_day = LocalMidnight(now) - kDay * static_cast<int64_t>(o.days);
  std::vector<common::TimePoint> out;
  out.reserve(o.Preload());
  for (size_t d = 0; d < o.days; ++d) {
    const common::TimePoint day = first_day + kDay * static_cast<int64_t>(d);
    std::vector<common::TimePoint> times;
    times.reserve(o.per_day);
    for (size_t k = 0; k < o.per_day; ++k) {
      const double hour = unit() < kOfficeHoursShare ? 8 + 10 * unit() : std::fmod(18 + 14 * unit(), 24.0);
      times.push_back(day + Hours(hour));
    }
    std::sort(times.begin(), times.end());
    out.insert(out.end(), times.begin(), times.end());
  }
  return out;
}

// Where a request of the year stands now: its status and, unless it is
// still OPEN, when it last changed (the closing time for a closed one).
struct Fate {
  cv1::RequestStatus status = cv1::REQUEST_STATUS_OPEN;
  std::optional<common::TimePoint> changed;
  bool purged = false;  // closed before the retention period: personal data deleted
};

class FateDrawer {
 public:
  FateDrawer(uint64_t seed, const std::map<std::string, int>& target_hours, common::TimePoint now)
      : rng_(seed),
        close_factor_(std::log(kCloseFactorMedian), kCloseFactorSigma),
        open_status_(Weights(
            kOpenStatusMix, +[](const std::pair<cv1::RequestStatus, double>& s) { return s.second; })),
        target_hours_(target_hours),
        now_(now) {}

  Fate Draw(common::TimePoint created, const std::string& category) {
    Fate f;
    const double age_h = std::chrono::duration<double, std::ratio<3600>>(now_ - created).count();
    if (Unit() < std::exp(-age_h / 24.0 / kOpenTauDays)) {
      f.status = kOpenStatusMix[open_status_(rng_)].first;
      if (f.status != cv1::REQUEST_STATUS_OPEN) f.changed = created + Hours(age_h * 0.5 * Unit());
    } else {
      const auto it = target_hours_.find(category);
      const double target = it == target_hours_.end() ? 72.0 : it->second;
      double took = target * close_factor_(rng_);
      if (took >= age_h) took = age_h * (0.5 + 0.5 * Unit());
      f.status = cv1::REQUEST_STATUS_CLOSED;
      f.changed = created + Hours(took);
      f.purged = *f.changed <= now_ - kDay * kRetentionDays;
    }
    ++by_status_[cv1::RequestStatus_Name(f.status)];
    return f;
  }

  // {"by_status", "open_share_pct"}
  json Report() const {
    size_t total = 0;
    size_t closed = 0;
    for (const auto& [name, n] : by_status_) {
      total += n;
      if (name == "REQUEST_STATUS_CLOSED") closed = n;
    }
    return {{"by_status", by_status_},
            {"open_share_pct",
             total == 0 ? 0.0 : Round2(100.0 * static_cast<double>(total - closed) / static_cast<double>(total))}};
  }

 private:
  double Unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  std::mt19937_64 rng_;
  std::lognormal_distribution<double> close_factor_;
  std::discrete_distribution<size_t> open_status_;
  const std::map<std::string, int>& target_hours_;
  common::TimePoint now_;
  std::map<std::string, size_t> by_status_;
};

const char* StatusNote(cv1::RequestStatus status) {
  switch (status) {
    case cv1::REQUEST_STATUS_ACKNOWLEDGED:
      return "Your request has been seen by the team in charge.";
    case cv1::REQUEST_STATUS_IN_PROGRESS:
      return "A crew is working on it.";
    case cv1::REQUEST_STATUS_CLOSED:
      return "Done, thank you for telling us.";
    default:
      return "Request received.";  // what CreateRequest writes
  }
}

std::string HowTheYear(const Options& o) {
  return "created_at " + std::to_string(o.per_day) + " a day over the " + std::to_string(o.days) +
         " days before last local midnight (85% between 08:00 and 18:00, ids in time order); open with probability "
         "exp(-age / 18.25 d) (40/30/30% open, acknowledged, in progress), the rest closed after their category's "
         "target x lognormal(median 0.5, sigma 0.8), capped by their age; a status_history entry for each change; "
         "the personal data of requests closed more than 90 days ago deleted (personal_data_purged), as the "
         "retention sweep does; no outbox rows (a year's events went out long ago); then VACUUM ANALYZE";
}

// The year written by SQL COPY into the service's tables (its migrations
// ran): the rows CreateRequest would have written for the same requests,
// then their status changes.
json CopyYear(const Options& o, Sandbox& sandbox, const std::map<std::string, int>& target_hours, common::TimePoint now,
              Stored& stored) {
  const auto started = SteadyClock::now();
  struct Row {
    cv1::CreateRequestRequest request;
    int district = 0;
    common::TimePoint created;
    Fate fate;
  };
  std::mt19937_64 time_rng(o.seed * 1000 + 7);
  const std::vector<common::TimePoint> times = YearTimes(o, now, time_rng);
  FateDrawer fates(o.seed * 1000 + 8, target_hours, now);
  CallMaker maker(o.seed * 1000 + 9);
  std::vector<Row> rows(times.size());
  std::map<std::string, size_t> by_category;
  std::map<std::string, size_t> by_channel;
  for (size_t k = 0; k < times.size(); ++k) {
    Row& r = rows[k];
    const size_t category = maker.Category();
    const cv1::RequestChannel channel = maker.Channel();
    r.request = maker.Create(category, channel);
    r.district = common::DistrictMap::Dijon().Locate(r.request.location().lat(), r.request.location().lon());
    r.created = times[k];
    r.fate = fates.Draw(r.created, r.request.category());
    stored.ids.push_back(RequestId(k + 1));
    stored.category.push_back(static_cast<uint8_t>(category));
    ++by_category[kCategoryMix[category].code];
    ++by_channel[cv1::RequestChannel_Name(channel)];
  }
  size_t purged = 0;
  size_t residents = 0;
  size_t history = 0;
  pqxx::work tx(sandbox.admin());
  tx.exec("SET LOCAL search_path TO " + tx.quote_name(sandbox.schema()));
  {
    pqxx::stream_to copy(
        tx, "requests",
        std::vector<std::string>{"id", "category", "description", "lat", "lon", "address", "district", "channel",
                                 "status", "recorded_by", "created_at", "updated_at", "expected_at", "closed_at",
                                 "status_note", "callers", "personal_data_purged", "version"});
    for (size_t k = 0; k < rows.size(); ++k) {
      const Row& r = rows[k];
      const cv1::CreateRequestRequest& q = r.request;
      const int target = target_hours.at(q.category());
      std::optional<std::string> closed;
      if (r.fate.status == cv1::REQUEST_STATUS_CLOSED) closed = common::ToPgTimestamp(*r.fate.changed);
      purged += r.fate.purged ? 1 : 0;
      copy << std::make_tuple(
          stored.ids[k], q.category(), q.description(), q.location().lat(), q.location().lon(), q.address(), r.district,
          static_cast<int>(q.channel()), static_cast<int>(r.fate.status), q.recorded_by(),
          common::ToPgTimestamp(r.created), common::ToPgTimestamp(r.fate.changed.value_or(r.created)),
          common::ToPgTimestamp(r.created + std::chrono::hours(target)), closed, std::string(StatusNote(r.fate.status)),
          1, r.fate.purged, r.fate.changed.has_value() ? 2 : 1);
    }
    copy.complete();
  }
  {
    pqxx::stream_to copy(tx, "status_history", std::vector<std::string>{"request_id", "status", "note", "actor", "at"});
    for (size_t k = 0; k < rows.size(); ++k) {
      copy << std::make_tuple(stored.ids[k], static_cast<int>(cv1::REQUEST_STATUS_OPEN),
                              std::string(StatusNote(cv1::REQUEST_STATUS_OPEN)), rows[k].request.recorded_by(),
                              common::ToPgTimestamp(rows[k].created));
      ++history;
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      const Row& r = rows[k];
      if (!r.fate.changed) continue;
      copy << std::make_tuple(stored.ids[k], static_cast<int>(r.fate.status), std::string(StatusNote(r.fate.status)),
                              "operator-" + std::to_string(1 + k % 12), common::ToPgTimestamp(*r.fate.changed));
      ++history;
    }
    copy.complete();
  }
  {
    pqxx::stream_to copy(
        tx, "residents",
        std::vector<std::string>{"request_id", "first_name", "last_name", "phone", "email", "added_at"});
    for (size_t k = 0; k < rows.size(); ++k) {
      const Row& r = rows[k];
      const cv1::Resident& p = r.request.resident();
      if (r.fate.purged || !r.request.has_resident()) continue;
      copy << std::make_tuple(stored.ids[k], p.first_name(), p.last_name(), p.phone(), p.email(),
                              common::ToPgTimestamp(r.created));
      ++residents;
    }
    copy.complete();
  }
  tx.exec("SELECT setval('request_number', " + std::to_string(rows.size()) + ")");
  tx.commit();
  const double copy_s = Seconds(SteadyClock::now() - started);
  const auto vacuum_started = SteadyClock::now();
  VacuumAnalyze(sandbox);
  json out = fates.Report();
  out["how"] =
      "SQL COPY into the service's tables after its migrations ran (CreateRequest at full speed would take "
      "too long: see create_burst): " +
      HowTheYear(o);
  out["requests"] = rows.size();
  out["by_category"] = by_category;
  out["by_channel"] = by_channel;
  out["status_history_rows"] = history;
  out["residents_rows"] = residents;
  out["personal_data_purged"] = purged;
  out["first_created_at"] = common::ToPgTimestamp(times.front());
  out["write_s"] = Round1(copy_s);
  out["vacuum_analyze_s"] = Round1(Seconds(SteadyClock::now() - vacuum_started));
  return out;
}

// --preload grpc: the year written into the requests CreateRequest made (it
// stamps "now"): times in id order, statuses and their history, the purge.
json Backdate(const Options& o, Sandbox& sandbox, const Stored& stored, const std::map<std::string, int>& target_hours,
              common::TimePoint now) {
  const auto started = SteadyClock::now();
  std::mt19937_64 time_rng(o.seed * 1000 + 7);
  std::vector<common::TimePoint> times = YearTimes(o, now, time_rng);
  if (times.size() != stored.ids.size()) throw std::runtime_error("the year and the requests differ in number");
  FateDrawer fates(o.seed * 1000 + 8, target_hours, now);
  pqxx::work tx(sandbox.admin());
  tx.exec("SET LOCAL search_path TO " + tx.quote_name(sandbox.schema()));
  tx.exec(
      "CREATE TEMP TABLE year_stamps (id text PRIMARY KEY, created_at timestamptz NOT NULL, status integer NOT NULL, "
      "changed_at timestamptz, purged boolean NOT NULL) ON COMMIT DROP");
  {
    pqxx::stream_to copy(tx, "year_stamps",
                         std::vector<std::string>{"id", "created_at", "status", "changed_at", "purged"});
    for (size_t k = 0; k < stored.ids.size(); ++k) {
      const Fate f = fates.Draw(times[k], kCategoryMix[stored.category[k]].code);
      std::optional<std::string> changed;
      if (f.changed) changed = common::ToPgTimestamp(*f.changed);
      copy << std::make_tuple(stored.ids[k], common::ToPgTimestamp(times[k]), static_cast<int>(f.status), changed,
                              f.purged);
    }
    copy.complete();
  }
  const auto updated = tx.exec(
      "UPDATE requests r SET created_at = y.created_at, expected_at = y.created_at + (r.expected_at - r.created_at), "
      "updated_at = COALESCE(y.changed_at, y.created_at), status = y.status, "
      "closed_at = CASE WHEN y.status = 4 THEN y.changed_at END, personal_data_purged = y.purged, "
      "status_note = CASE y.status WHEN 2 THEN 'Your request has been seen by the team in charge.' "
      "WHEN 3 THEN 'A crew is working on it.' WHEN 4 THEN 'Done, thank you for telling us.' ELSE r.status_note END, "
      "version = r.version + CASE WHEN y.status = 1 THEN 0 ELSE 1 END "
      "FROM year_stamps y WHERE r.id = y.id");
  if (updated.affected_rows() != stored.ids.size()) {
    throw std::runtime_error("the year was written into " + std::to_string(updated.affected_rows()) +
                             " requests, not " + std::to_string(stored.ids.size()));
  }
  tx.exec("UPDATE status_history h SET at = y.created_at FROM year_stamps y WHERE h.request_id = y.id");
  tx.exec("UPDATE residents s SET added_at = y.created_at FROM year_stamps y WHERE s.request_id = y.id");
  tx.exec(
      "INSERT INTO status_history (request_id, status, note, actor, at) "
      "SELECT y.id, y.status, r.status_note, 'operator-' || (1 + abs(hashtext(y.id)) % 12), y.changed_at "
      "FROM year_stamps y JOIN requests r ON r.id = y.id WHERE y.changed_at IS NOT NULL ORDER BY y.id");
  const auto purged =
      tx.exec("DELETE FROM residents WHERE request_id IN (SELECT id FROM year_stamps WHERE purged)").affected_rows();
  tx.commit();
  const double update_s = Seconds(SteadyClock::now() - started);
  const auto vacuum_started = SteadyClock::now();
  VacuumAnalyze(sandbox);
  json out = fates.Report();
  out["how"] = "SQL on the rows the gRPC preload created: " + HowTheYear(o);
  out["requests"] = stored.ids.size();
  out["residents_rows_deleted"] = purged;
  out["first_created_at"] = common::ToPgTimestamp(times.front());
  out["write_s"] = Round1(update_s);
  out["vacuum_analyze_s"] = Round1(Seconds(SteadyClock::now() - vacuum_started));
  return out;
}

// ------------------------------------------------------------------ part 3: the calls

// One client of the service: its own gRPC channel, and draws of its own.
struct Client {
  Client(int grpc_port, int http_port_, uint64_t seed, const Stored& stored_)
      : stub(cv1::ResidentCalls::NewStub(Connect(grpc_port))), http_port(http_port_), maker(seed), stored(stored_) {}
  std::unique_ptr<cv1::ResidentCalls::Stub> stub;
  int http_port;
  CallMaker maker;
  const Stored& stored;
};

// One call's outcome: its time, what it returned (items), an error.
struct Timed {
  double ms = 0;
  double items = 0;
  std::string error;
};

struct Operation {
  std::string name;
  std::string what;
  // Prepares the call (not timed), then makes it (timed).
  std::function<Timed(Client&)> call;
};

// Times `f` (which returns {items, error}).
template <typename F>
Timed Time(F&& f) {
  const int64_t t0 = NowNs();
  auto [items, error] = f();
  return {Millis(NowNs() - t0), items, std::move(error)};
}

std::pair<double, std::string> GrpcResult(const grpc::Status& s, double items) {
  return {items, s.ok() ? std::string() : Describe(s)};
}

std::vector<Operation> Operations() {
  std::vector<Operation> ops;
  ops.push_back(
      {"suggest_duplicates", "SuggestDuplicates: a category of the mix at a random point of the city", [](Client& c) {
         cv1::SuggestDuplicatesRequest r;
         r.set_category(kCategoryMix[c.maker.Category()].code);
         const common::LatLon p = c.maker.Point();
         r.mutable_location()->set_lat(p.lat);
         r.mutable_location()->set_lon(p.lon);
         return Time([&] {
           grpc::ClientContext ctx;
           Prepare(ctx);
           cv1::SuggestDuplicatesResponse out;
           const auto s = c.stub->SuggestDuplicates(&ctx, r, &out);
           return GrpcResult(s, out.candidates_size());
         });
       }});
  ops.push_back(
      {"get", "GetRequest: a stored request drawn uniformly, as an operator (with residents' data)", [](Client& c) {
         cv1::GetRequestRequest r;
         r.set_id(c.stored.ids[c.maker.Below(c.stored.ids.size())]);
         return Time([&] {
           grpc::ClientContext ctx;
           Prepare(ctx);
           cv1::RequestDetail out;
           const auto s = c.stub->GetRequest(&ctx, r, &out);
           return GrpcResult(s, out.history_size());
         });
       }});
  ops.push_back(
      {"list_district_open", "ListRequests: first page (50) of a random district's OPEN requests", [](Client& c) {
         cv1::ListRequestsRequest r;
         r.set_district(c.maker.District());
         r.set_status(cv1::REQUEST_STATUS_OPEN);
         return Time([&] {
           grpc::ClientContext ctx;
           Prepare(ctx);
           cv1::ListRequestsResponse out;
           const auto s = c.stub->ListRequests(&ctx, r, &out);
           return GrpcResult(s, out.requests_size());
         });
       }});
  for (const int days : {30, 365}) {
    ops.push_back({"statistics_" + std::to_string(days) + "d",
                   "GetStatistics over the " + std::to_string(days) + " days to now", [days](Client& c) {
                     cv1::GetStatisticsRequest r;
                     const common::TimePoint to = std::chrono::system_clock::now();
                     *r.mutable_from() = common::ToProtoTime(to - kDay * days);
                     *r.mutable_to() = common::ToProtoTime(to);
                     return Time([&] {
                       grpc::ClientContext ctx;
                       Prepare(ctx);
                       cv1::Statistics out;
                       const auto s = c.stub->GetStatistics(&ctx, r, &out);
                       return GrpcResult(s, static_cast<double>(out.total()));
                     });
                   }});
  }
  ops.push_back({"open311_get_open", "Open311 GET /open311/v2/requests.json?status=open (HTTP)", [](Client& c) {
                   return Time([&] {
                     const HttpReply reply =
                         HttpExchange(c.http_port, "GET", "/open311/v2/requests.json?status=open", "");
                     if (!reply.error.empty()) return std::pair<double, std::string>{0, reply.error};
                     if (reply.status != 200) {
                       return std::pair<double, std::string>{
                           0, "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200)};
                     }
                     return std::pair<double, std::string>{
                         static_cast<double>(CountOf(reply.body, "\"service_request_id\"")), ""};
                   });
                 }});
  ops.push_back({"create", "CreateRequest: a phone call with the resident's name, phone and e-mail", [](Client& c) {
                   const cv1::CreateRequestRequest r = c.maker.Create(c.maker.Category(), cv1::REQUEST_CHANNEL_PHONE);
                   return Time([&] {
                     grpc::ClientContext ctx;
                     Prepare(ctx);
                     cv1::CreateRequestResponse out;
                     const auto s = c.stub->CreateRequest(&ctx, r, &out);
                     return GrpcResult(s, s.ok() && out.created() ? 1 : 0);
                   });
                 }});
  ops.push_back({"open311_post", "Open311 POST /open311/v2/requests.json (HTTP, form, api_key, resident's e-mail)",
                 [](Client& c) {
                   const size_t category = c.maker.Category();
                   const common::LatLon p = c.maker.Point();
                   const cv1::Resident resident = c.maker.Resident(cv1::REQUEST_CHANNEL_APP);
                   char lat[32];
                   char lon[32];
                   std::snprintf(lat, sizeof(lat), "%.6f", p.lat);
                   std::snprintf(lon, sizeof(lon), "%.6f", p.lon);
                   const std::string form = std::string("api_key=") + kApiKey +
                                            "&service_code=" + kCategoryMix[category].code + "&lat=" + lat +
                                            "&long=" + lon + "&address_string=" + UrlEncode(c.maker.Address()) +
                                            "&description=" + UrlEncode(kCategoryMix[category].description) +
                                            "&email=" + UrlEncode(resident.email());
                   return Time([&] {
                     const HttpReply reply = HttpExchange(c.http_port, "POST", "/open311/v2/requests.json", form);
                     if (!reply.error.empty()) return std::pair<double, std::string>{0, reply.error};
                     if (reply.status != 201) {
                       return std::pair<double, std::string>{
                           0, "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200)};
                     }
                     return std::pair<double, std::string>{1, ""};
                   });
                 }});
  return ops;
}

// `calls` calls of `op` over `clients` (the first `clients`), each back to
// back; with `cpu`, what used the CPU meanwhile.
json RunOperation(const Operation& op, std::vector<std::unique_ptr<Client>>& pool, size_t clients, size_t calls,
                  pid_t service_pid, bool cpu) {
  std::vector<std::vector<Timed>> results(clients);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (size_t k = 0; k < clients; ++k) {
    const size_t mine = calls / clients + (k < calls % clients ? 1 : 0);
    results[k].reserve(mine);
    if (clients == 1) break;
    threads.emplace_back([&, k, mine] {
      while (!go.load()) std::this_thread::yield();
      for (size_t i = 0; i < mine; ++i) results[k].push_back(op.call(*pool[k]));
    });
  }
  CpuWindow window;
  if (cpu) window.Start(service_pid);
  const auto started = SteadyClock::now();
  if (clients == 1) {
    for (size_t i = 0; i < calls; ++i) results[0].push_back(op.call(*pool[0]));
  } else {
    go = true;
    for (auto& t : threads) t.join();
  }
  const double wall = Seconds(SteadyClock::now() - started);
  std::vector<double> ms;
  double items = 0;
  size_t errors = 0;
  std::string first_error;
  for (const auto& per_client : results) {
    for (const Timed& t : per_client) {
      ms.push_back(t.ms);
      items += t.items;
      if (!t.error.empty()) {
        if (first_error.empty()) first_error = t.error;
        ++errors;
      }
    }
  }
  json out = Summary(ms, Round2);
  out["clients"] = clients;
  out["errors"] = errors;
  if (!first_error.empty()) out["first_error"] = first_error;
  out["wall_s"] = Round3(wall);
  out["calls_per_s"] = Round1(static_cast<double>(ms.size()) / wall);
  out["items_mean"] = ms.empty() ? 0.0 : Round1(items / static_cast<double>(ms.size()));
  // The service's memory right after: which operation makes it grow.
  out["service_vmrss_mb_after"] = StatusMb(service_pid, "VmRSS");
  out["service_vmhwm_mb_after"] = StatusMb(service_pid, "VmHWM");
  if (cpu) {
    json c = window.Finish(wall);
    c["service_cpu_ms_per_call"] = Round3(c["service_cpu_s"].get<double>() * 1000.0 / static_cast<double>(ms.size()));
    for (const auto& p : c["processes"]) {
      if (p["name"] == "postgres") {
        c["postgres_cpu_ms_per_call"] = Round3(p["cpu_s"].get<double>() * 1000.0 / static_cast<double>(ms.size()));
      }
    }
    out["cpu"] = c;
  }
  return out;
}

// The medians over the rounds of each figure of one mode.
json Medians(const json& rounds) {
  json out;
  for (const char* key : {"p50", "p90", "p99", "max", "mean", "calls_per_s", "items_mean"}) {
    std::vector<double> v;
    for (const auto& r : rounds) v.push_back(r.value(key, 0.0));
    out[key] = Round2(Median(v));
  }
  size_t errors = 0;
  for (const auto& r : rounds) errors += r.value("errors", size_t{0});
  out["errors"] = errors;
  return out;
}

// Every operation --rounds times, one at a time then concurrently; after
// the warm-up and after each round the outbox drained and what the calls
// created deleted (`created_deleted` counts them), so that every round reads
// the same year.
json RunCalls(const Options& o, const std::vector<Operation>& ops, std::vector<std::unique_ptr<Client>>& pool,
              pid_t service_pid, Sandbox& sandbox, const std::string& last_id, size_t& errors,
              size_t& created_deleted) {
  auto settle = [&] {
    DrainOutbox(sandbox, std::chrono::seconds(300));
    created_deleted += ForgetCreatedAfter(sandbox, last_id);
  };
  // Warm-up: every client connects, every operation runs a few times (not timed).
  for (const Operation& op : ops) {
    for (size_t i = 0; i < 5; ++i) (void)op.call(*pool[0]);
    for (auto& c : pool) (void)op.call(*c);
  }
  settle();
  std::map<std::string, json> one, many;
  for (size_t round = 0; round < o.rounds; ++round) {
    std::cout << "round " << round + 1 << " of " << o.rounds << ":";
    for (const Operation& op : ops) {
      std::cout << " " << op.name << std::flush;
      one[op.name].push_back(RunOperation(op, pool, 1, o.calls, service_pid, false));
      many[op.name].push_back(RunOperation(op, pool, o.clients, o.calls, service_pid, round == 0));
    }
    std::cout << "\n";
    settle();
  }
  json out = json::object();
  for (const Operation& op : ops) {
    json r;
    r["what"] = op.what;
    r["one_at_a_time"] = {{"median_of_rounds", Medians(one[op.name])}, {"rounds", one[op.name]}};
    r["concurrent"] = {{"clients", o.clients}, {"median_of_rounds", Medians(many[op.name])}, {"rounds", many[op.name]}};
    errors += r["one_at_a_time"]["median_of_rounds"]["errors"].get<size_t>() +
              r["concurrent"]["median_of_rounds"]["errors"].get<size_t>();
    out[op.name] = r;
  }
  return out;
}

// ------------------------------------------------------------------ the run

int HttpPort(const std::string& ready_file) { return json::parse(ReadFile(ready_file)).value("http_port", 0); }

json Memory(pid_t pid) { return {{"vmrss_mb", StatusMb(pid, "VmRSS")}, {"vmhwm_mb", StatusMb(pid, "VmHWM")}}; }

void PrintTable(const Options& o, const json& out) {
  const json& y = out["year"];
  const json& burst = out["creation_throughput"];
  std::cout << std::fixed << std::setprecision(1)
            << "\nresident-calls with a year of Dijon's calls: " << y["requests"].get<size_t>() << " stored, "
            << y["open_share_pct"].get<double>() << "% open; " << o.rounds << " round(s) of " << o.calls
            << " calls, medians of the rounds (ms)\n";
  std::cout << std::left << std::setw(22) << "operation" << std::right << std::setw(28) << "one at a time p50/p99/max"
            << std::setw(28) << (std::to_string(o.clients) + " clients p50/p99/max") << std::setw(10) << "calls/s"
            << std::setw(10) << "items"
            << "\n";
  auto triple = [](const json& m) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << m["p50"].get<double>() << " / " << m["p99"].get<double>() << " / "
      << m["max"].get<double>();
    return s.str();
  };
  for (const auto& name : out["operations"]) {
    const json& op = out["calls"][name.get<std::string>()];
    const json& one = op["one_at_a_time"]["median_of_rounds"];
    const json& many = op["concurrent"]["median_of_rounds"];
    std::cout << std::left << std::setw(22) << name.get<std::string>() << std::right << std::setw(28) << triple(one)
              << std::setw(28) << triple(many) << std::setw(10) << many["calls_per_s"].get<double>() << std::setw(10)
              << one["items_mean"].get<double>() << "\n";
  }
  const double rate = burst["requests_per_s"].get<double>();
  std::cout << "creation throughput: " << burst["requests"].get<size_t>() << " CreateRequest, "
            << burst["clients"].get<size_t>() << " clients at full speed: " << rate << "/s (p50 "
            << burst["latency_ms"]["p50"].get<double>() << " ms, p99 " << burst["latency_ms"]["p99"].get<double>()
            << " ms); a year (" << y["requests"].get<size_t>()
            << ") at that rate: " << static_cast<double>(y["requests"].get<size_t>()) / rate << " s\n";
  std::cout << "the year stored by " << (o.preload == "sql" ? "SQL COPY" : "gRPC CreateRequest, then its times by SQL")
            << ", written in " << y["write_s"].get<double>() << " s + VACUUM ANALYZE "
            << y["vacuum_analyze_s"].get<double>() << " s\n";
  const json& m = out["memory"];
  std::cout << "memory (MiB): after the preload VmRSS " << m["after_preload"]["vmrss_mb"].get<double>() << " (VmHWM "
            << m["after_preload"]["vmhwm_mb"].get<double>() << "), at ready on the year "
            << m["at_ready"]["vmrss_mb"].get<double>() << ", after the calls "
            << m["after_calls"]["vmrss_mb"].get<double>() << " (VmHWM " << m["after_calls"]["vmhwm_mb"].get<double>()
            << "); bar " << kBarRssMb << " MB\n"
            << "start to ready on the year: median " << out["ready_ms"]["median"].get<double>() << " ms of "
            << out["ready_ms"]["each"].dump() << "; bar " << kBarReadyMs << " ms\n";
}

int Run(const Options& o) {
  json out;
  out["date"] = UtcNow();
  out["machine"] = MachineInfo();
  out["machine"]["note"] = "Kafka and PostgreSQL run on the same machine as the service and the bench";
  out["options"] = {
      {"per_day", o.per_day}, {"days", o.days},         {"calls", o.calls}, {"clients", o.clients},
      {"rounds", o.rounds},   {"restarts", o.restarts}, {"seed", o.seed},   {"create_clients", o.create_clients},
      {"preload", o.preload}, {"burst", o.burst}};
  json mix = json::object();
  for (const auto& c : kCategoryMix) mix[c.code] = c.share;
  out["category_mix"] = mix;
  json channels = json::object();
  for (const auto& c : kChannelMix) channels[cv1::RequestChannel_Name(c.channel)] = c.share;
  out["channel_mix"] = channels;
  out["districts"] = "24 (DistrictMap::Dijon()), drawn uniformly; a point uniform inside the district";

  const RunSetup run =
      RunSetup::Prepare(o, "CITYOPS_RESIDENT_CALLS_PG_DSN", "cityops-calls-bench", "resident-calls.log", Usage);
  const StackEnv& env = run.env;
  Sandbox sandbox(env, "calls-bench", o.topics_file, run.prefix, run.schema, o.keep);
  // A copy of the service's binary is what runs: a build relinking it
  // meanwhile (the tree is shared) cannot pull it from under the restarts.
  const std::string binary = run.work + "/resident-calls";
  std::filesystem::copy_file(o.service_binary, binary, std::filesystem::copy_options::overwrite_existing);
  struct stat built {};
  if (::stat(o.service_binary.c_str(), &built) == 0) {
    out["service_binary"] = {
        {"path", o.service_binary},
        {"modified", common::ToPgTimestamp(std::chrono::system_clock::from_time_t(built.st_mtime))}};
  }
  std::vector<std::string> args = run.ServiceArgs(o);
  args.emplace_back("--http-address=127.0.0.1:0");
  // The DSN (it holds a password) and the API keys travel in the environment.
  const auto child_env = ServiceEnvironment(
      {"CITYOPS_PG_DSN=" + env.service_dsn, std::string("CITYOPS_OPEN311_API_KEYS=") + kApiClient + ":" + kApiKey});
  std::vector<std::unique_ptr<ServiceProcess>> instances;
  int exit_code = 0;
  auto log_of = [&run](size_t k) {
    return k == 0 ? run.service_log : run.service_log + ".restart" + std::to_string(k);
  };
  try {
    instances.push_back(std::make_unique<ServiceProcess>());
    const double first_ready = instances[0]->StartUntilReady(binary, args, child_env, log_of(0), run.ready_file);
    ReadyPorts ports = ReadReadyFile(run.ready_file);
    out["ready_ms_empty_schema"] = Round1(first_ready);
    out["memory"]["at_ready_empty"] = Memory(instances[0]->pid());
    std::cout << "service ready in " << std::fixed << std::setprecision(1) << first_ready
              << " ms on an empty schema (pid " << instances[0]->pid() << ", schema " << run.schema << ")\n";

    // The service's categories: the mix must be among them; their target times.
    std::map<std::string, int> target_hours;
    {
      auto stub = cv1::ResidentCalls::NewStub(Connect(ports.grpc));
      grpc::ClientContext c;
      Prepare(c);
      cv1::ListCategoriesResponse categories;
      if (const auto s = stub->ListCategories(&c, {}, &categories); !s.ok()) {
        throw std::runtime_error("ListCategories: " + Describe(s));
      }
      for (const auto& c2 : categories.categories()) target_hours[c2.code()] = c2.target_hours();
      for (const auto& m : kCategoryMix) {
        if (target_hours.count(m.code) == 0) throw std::runtime_error(std::string("unknown category ") + m.code);
      }
    }

    // Part 1: the year.
    Stored stored;
    common::TimePoint now = std::chrono::system_clock::now();
    if (o.preload == "sql") {
      std::cout << "the year: " << o.Preload() << " requests by SQL COPY\n";
      out["year"] = CopyYear(o, sandbox, target_hours, now, stored);
      std::cout << "  written in " << out["year"]["write_s"].get<double>() << " s ("
                << out["year"]["open_share_pct"].get<double>() << "% open)\n";
      if (o.burst > 0) {
        std::cout << "creation throughput: " << o.burst << " CreateRequest, " << o.create_clients << " clients\n";
        out["creation_throughput"] = CreateBurst(ports.grpc, o.burst, o.create_clients, o.seed * 1000 + 100, nullptr);
        out["creation_throughput"]["on"] = "the year stored; the requests it created deleted afterwards";
        std::cout << "  " << out["creation_throughput"]["requests_per_s"].get<double>() << "/s\n";
      }
      out["outbox_drained_after_s"] = Round1(DrainOutbox(sandbox, std::chrono::seconds(1800)));
      out["memory"]["after_preload"] = Memory(instances[0]->pid());
      out["creation_throughput"]["deleted"] = ForgetCreatedAfter(sandbox, stored.ids.back());
      VacuumAnalyze(sandbox);
    } else {
      std::cout << "the year: " << o.Preload() << " requests through CreateRequest, " << o.create_clients
                << " clients\n";
      out["creation_throughput"] = CreateBurst(ports.grpc, o.Preload(), o.create_clients, o.seed * 1000 + 100, &stored);
      out["creation_throughput"]["on"] = "an empty schema filling up with the year";
      std::cout << "  created in " << out["creation_throughput"]["seconds"].get<double>() << " s ("
                << out["creation_throughput"]["requests_per_s"].get<double>() << "/s)\n";
      out["outbox_drained_after_s"] = Round1(DrainOutbox(sandbox, std::chrono::seconds(1800)));
      out["memory"]["after_preload"] = Memory(instances[0]->pid());
      now = std::chrono::system_clock::now();
      out["year"] = Backdate(o, sandbox, stored, target_hours, now);
      std::cout << "  its times written by SQL in " << out["year"]["write_s"].get<double>() << " s ("
                << out["year"]["open_share_pct"].get<double>() << "% open)\n";
    }

    // Part 2: restarts on the preloaded schema.
    json ready = json::array();
    json stops = json::array();
    for (size_t k = 1; k <= o.restarts; ++k) {
      const auto stop_at = SteadyClock::now();
      const int code = instances.back()->Stop(std::chrono::seconds(60));
      stops.push_back(
          {{"stop_ms", Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count())},
           {"exit_code", code}});
      if (code != 0) {
        std::cerr << "calls_bench: instance " << k - 1 << " exited " << code << "; its log:\n"
                  << LogTail(log_of(k - 1), 30);
        exit_code = 1;
      }
      instances.push_back(std::make_unique<ServiceProcess>());
      ready.push_back(Round1(instances.back()->StartUntilReady(binary, args, child_env, log_of(k), run.ready_file)));
    }
    ports = ReadReadyFile(run.ready_file);
    const int http_port = HttpPort(run.ready_file);
    if (http_port <= 0) throw std::runtime_error("the ready file has no http_port");
    ServiceProcess& service = *instances.back();
    std::vector<double> ready_v = ready.get<std::vector<double>>();
    out["ready_ms"] = {{"each", ready},
                       {"median", Round1(Median(ready_v))},
                       {"max", Round1(*std::max_element(ready_v.begin(), ready_v.end()))}};
    out["stops"] = stops;
    out["memory"]["at_ready"] = Memory(service.pid());
    std::cout << "restarted " << o.restarts << " time(s) on the year: ready in " << ready.dump() << " ms\n";

    // Sanity: the service sees the year.
    {
      auto stub = cv1::ResidentCalls::NewStub(Connect(ports.grpc));
      grpc::ClientContext c;
      Prepare(c);
      cv1::GetStatisticsRequest r;
      *r.mutable_from() = common::ToProtoTime(now - kDay * 366);
      *r.mutable_to() = common::ToProtoTime(now);
      cv1::Statistics stats;
      if (const auto s = stub->GetStatistics(&c, r, &stats); !s.ok()) {
        throw std::runtime_error("GetStatistics: " + Describe(s));
      }
      out["check"] = {{"statistics_total_366d", stats.total()},
                      {"statistics_closed_366d", stats.closed()},
                      {"median_seconds_to_close", stats.median_seconds_to_close()}};
      if (static_cast<size_t>(stats.total()) != stored.ids.size()) {
        throw std::runtime_error("GetStatistics over 366 days counts " + std::to_string(stats.total()) +
                                 " requests, not " + std::to_string(stored.ids.size()));
      }
    }

    // Part 3: the calls.
    std::vector<Operation> ops;
    for (auto& op : Operations()) {
      if (o.only.empty() || o.only.count(op.name) != 0) ops.push_back(std::move(op));
    }
    if (ops.empty()) Usage("--only names no operation");
    std::vector<std::unique_ptr<Client>> pool;
    for (size_t k = 0; k < o.clients; ++k) {
      pool.push_back(std::make_unique<Client>(ports.grpc, http_port, o.seed * 1000 + 500 + k, stored));
    }
    size_t errors = 0;
    const auto calls_started = SteadyClock::now();
    size_t created_deleted = 0;
    json names = json::array();
    for (const Operation& op : ops) names.push_back(op.name);
    out["operations"] = names;
    out["calls"] = RunCalls(o, ops, pool, service.pid(), sandbox, stored.ids.back(), errors, created_deleted);
    out["calls_created_then_deleted"] = created_deleted;
    out["calls_s"] = Round1(Seconds(SteadyClock::now() - calls_started));
    out["memory"]["after_calls"] = Memory(service.pid());
    pool.clear();
    if (errors > 0) {
      std::cerr << "calls_bench: " << errors << " call(s) failed (see first_error in the JSON)\n";
      exit_code = 1;
    }
    out["requests_at_end"] =
        std::stoll(sandbox.Scalar("SELECT count(*) FROM " + sandbox.admin().quote_name(run.schema) + ".requests"));
    const auto stop_at = SteadyClock::now();
    const int code = service.Stop(std::chrono::seconds(60));
    out["stop_ms"] = Round1(std::chrono::duration<double, std::milli>(SteadyClock::now() - stop_at).count());
    out["service_exit_code"] = code;
    if (code != 0) {
      std::cerr << "calls_bench: the service exited " << code << "; its log:\n" << LogTail(log_of(o.restarts), 30);
      exit_code = 1;
    }
  } catch (...) {
    for (auto& p : instances) {
      if (p->Running()) p->Stop(std::chrono::seconds(20));
    }
    run.Abort(sandbox);
    throw;
  }
  const double rss = out["memory"]["after_calls"]["vmhwm_mb"].get<double>();
  const double ready_max = out["ready_ms"]["max"].get<double>();
  out["bars"] = {{"rss_mb_max", kBarRssMb},     {"rss_mb_peak", rss},          {"rss_ok", rss < kBarRssMb},
                 {"ready_ms_max", kBarReadyMs}, {"ready_ms_worst", ready_max}, {"ready_ok", ready_max < kBarReadyMs}};
  PrintTable(o, out);
  run.Finish(o, exit_code, sandbox, out);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName("calls_bench");
  const Options options = ParseOptions(argc, argv);
  return BenchMain([&] { return Run(options); });
}
