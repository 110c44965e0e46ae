#pragma once

// The report's edge: a Kafka consumer of its own on the faults, incidents,
// dispatch assignments and crises topics that feeds a ReportBuilder, and lighting
// control's GetEnergyReport asked when a report is made.
//
// Its group is new for each run and reads from the collector's creation on
// (common::ConsumeFrom::kLatest: from the first message stamped at or after
// it, however long the group's join takes), and still skips, before decoding
// them, any message stamped before the run's start.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "report.h"

namespace cityops::sim {

struct ReportTopics {
  std::string faults;
  std::string incidents;
  std::string assignments;
  // Empty: crises are not collected.
  std::string crises;
};

class ReportCollector {
 public:
  // `lighting` may be null: no energy figures. `started`: the start of the
  // run; older messages are skipped.
  ReportCollector(std::unique_ptr<common::KafkaConsumer> consumer, ReportTopics topics, std::string scenario,
                  common::TimePoint started, const std::shared_ptr<grpc::Channel>& lighting);
  ~ReportCollector();
  ReportCollector(const ReportCollector&) = delete;
  ReportCollector& operator=(const ReportCollector&) = delete;

  void Start();
  // Goes on reading for `grace` (the platform's last events, still on their
  // way), then until it has caught up with the topics (a poll brought nothing
  // and nothing is left behind), `at_most` at the longest; then closes the
  // consumer. Idempotent.
  void Stop(std::chrono::milliseconds grace, std::chrono::milliseconds at_most);

  // The report as of `now`, lighting control asked for the energy of the
  // nights the run covers. Safe from any thread, while running or after Stop.
  Report Snapshot(std::optional<CallFigures> calls, common::TimePoint now);
  // ReportBuilder::UnresolvedFromFaults, so far.
  size_t UnresolvedFromFaults();

  uint64_t events_applied() const { return applied_.load(); }

 private:
  void Run();
  void Apply(const common::ConsumedMessage& message);
  EnergyFigures AskEnergy(common::TimePoint ended);

  std::unique_ptr<common::KafkaConsumer> consumer_;
  ReportTopics topics_;
  common::TimePoint started_;
  int64_t started_ms_;
  std::unique_ptr<lighting::v1::LightingControl::Stub> lighting_;

  std::mutex mutex_;  // guards builder_
  ReportBuilder builder_;

  std::atomic<bool> draining_{false};
  std::atomic<int64_t> grace_until_ns_{0};     // steady clock
  std::atomic<int64_t> drain_deadline_ns_{0};  // steady clock
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> unreadable_{0};
  std::thread thread_;
};

// The report on demand: SIGUSR2 (SIGUSR1 is common::ShutdownSignal's own
// wake-up signal, and an external one is swallowed by its wait). Block() is
// called in main right after ShutdownSignal::Install, before any thread
// starts, so that every thread inherits the signal blocked; the watcher's
// thread then takes it with sigtimedwait (no handler) and calls `on_signal`.
class ReportSignal {
 public:
  static void Block();

  explicit ReportSignal(std::function<void()> on_signal);
  ~ReportSignal();
  ReportSignal(const ReportSignal&) = delete;
  ReportSignal& operator=(const ReportSignal&) = delete;

  void Start();
  void Stop();

 private:
  std::function<void()> on_signal_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cityops::sim
