#include "report_collector.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "cityops/incidents/v1/crisis.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::sim {
namespace {

constexpr std::chrono::seconds kEnergyDeadline{5};

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ReportCollector::ReportCollector(std::unique_ptr<common::KafkaConsumer> consumer, ReportTopics topics,
                                 std::string scenario, common::TimePoint started,
                                 const std::shared_ptr<grpc::Channel>& lighting)
    : consumer_(std::move(consumer)),
      topics_(std::move(topics)),
      started_(started),
      started_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(started.time_since_epoch()).count()),
      lighting_(lighting != nullptr ? lighting::v1::LightingControl::NewStub(lighting) : nullptr),
      builder_(std::move(scenario), started) {}

ReportCollector::~ReportCollector() { Stop(std::chrono::milliseconds(0), std::chrono::milliseconds(0)); }

void ReportCollector::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ReportCollector::Stop(std::chrono::milliseconds grace, std::chrono::milliseconds at_most) {
  if (stopped_.exchange(true)) return;
  const int64_t now = SteadyNs();
  grace_until_ns_ = now + std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count();
  drain_deadline_ns_ = now + std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(grace, at_most)).count();
  draining_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) consumer_->Close();
  if (unreadable_.load() > 0) spdlog::warn("report: {} unreadable messages skipped", unreadable_.load());
}

void ReportCollector::Run() {
  uint64_t errors = 0;
  while (true) {
    const bool draining = draining_.load();
    if (draining && SteadyNs() >= drain_deadline_ns_.load()) break;
    auto messages = consumer_->Poll(500, std::chrono::milliseconds(250));
    if (!messages.ok()) {
      if (++errors <= 3 || errors % 100 == 0) spdlog::warn("report: {}", messages.status().ToString());
      continue;
    }
    for (const auto& message : *messages) Apply(message);
    // Caught up: nothing came and nothing is left behind on the partitions.
    if (draining && SteadyNs() >= grace_until_ns_.load() && messages->empty() && consumer_->Lag() == 0) break;
    // Offsets are not committed: the group is this run's own.
  }
}

void ReportCollector::Apply(const common::ConsumedMessage& message) {
  // Before the run: not ours.
  if (message.timestamp_ms > 0 && message.timestamp_ms < started_ms_) return;
  bool applied = false;
  std::optional<common::TimePoint> published_at;
  if (message.timestamp_ms > 0) published_at = common::TimePoint(std::chrono::milliseconds(message.timestamp_ms));
  if (message.topic == topics_.faults) {
    telemetry::v1::FaultEvent event;
    if (!event.ParseFromString(message.value)) {
      ++unreadable_;
      return;
    }
    std::lock_guard lock(mutex_);
    applied = builder_.OnFault(event);
  } else if (message.topic == topics_.incidents) {
    incidents::v1::IncidentEvent event;
    if (!event.ParseFromString(message.value)) {
      ++unreadable_;
      return;
    }
    std::lock_guard lock(mutex_);
    applied = builder_.OnIncident(event, published_at);
  } else if (message.topic == topics_.assignments) {
    dispatch::v1::AssignmentEvent event;
    if (!event.ParseFromString(message.value)) {
      ++unreadable_;
      return;
    }
    std::lock_guard lock(mutex_);
    applied = builder_.OnAssignment(event, published_at);
  } else if (!topics_.crises.empty() && message.topic == topics_.crises) {
    incidents::v1::CrisisEvent event;
    if (!event.ParseFromString(message.value)) {
      ++unreadable_;
      return;
    }
    std::lock_guard lock(mutex_);
    applied = builder_.OnCrisis(event);
  }
  if (applied) ++applied_;
}

EnergyFigures ReportCollector::AskEnergy(common::TimePoint ended) {
  if (lighting_ == nullptr) return NoEnergy("lighting control not given (--lighting-address)");
  auto [first, last] = NightsCovered(started_, ended);
  lighting::v1::GetEnergyReportRequest request;
  request.set_district(0);
  request.set_first_date(first);
  request.set_last_date(last);
  lighting::v1::GetEnergyReportResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kEnergyDeadline);
  const grpc::Status status = lighting_->GetEnergyReport(&context, request, &response);
  if (!status.ok()) {
    EnergyFigures e = NoEnergy(absl::StrCat("lighting control did not answer GetEnergyReport: ",
                                            static_cast<int>(status.error_code()), " ", status.error_message()));
    e.first_night = std::move(first);
    e.last_night = std::move(last);
    return e;
  }
  const std::vector<lighting::v1::DistrictEnergy> rows(response.days().begin(), response.days().end());
  return SumEnergy(rows, std::move(first), std::move(last));
}

Report ReportCollector::Snapshot(std::optional<CallFigures> calls, common::TimePoint now) {
  EnergyFigures energy = AskEnergy(now);
  std::lock_guard lock(mutex_);
  return builder_.Build(now, calls, std::move(energy));
}

size_t ReportCollector::UnresolvedFromFaults() {
  std::lock_guard lock(mutex_);
  return builder_.UnresolvedFromFaults();
}

void ReportSignal::Block() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ReportSignal::ReportSignal(std::function<void()> on_signal) : on_signal_(std::move(on_signal)) {}

ReportSignal::~ReportSignal() { Stop(); }

void ReportSignal::Start() {
  thread_ = std::thread([this] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    while (!stop_.load()) {
      // Bounded, to see Stop.
      const struct timespec timeout { 0, 250'000'000 };
      if (sigtimedwait(&set, nullptr, &timeout) == SIGUSR2) on_signal_();
    }
  });
}

void ReportSignal::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace cityops::sim
