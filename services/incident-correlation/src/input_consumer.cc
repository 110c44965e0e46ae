#include "input_consumer.h"

#include <spdlog/spdlog.h>

namespace cityops::incidents {

InputConsumer::InputConsumer(common::KafkaConsumer& consumer, IncidentDesk& desk, IncidentStore& store,
                             common::Clock& clock, Options options, prometheus::Registry& metrics)
    : consumer_(consumer),
      desk_(desk),
      store_(store),
      clock_(clock),
      options_(options),
      lag_(prometheus::BuildGauge()
               .Name("cityops_incident_correlation_consumer_lag_messages")
               .Help("Input messages not yet consumed on the partitions this instance holds")
               .Register(metrics)
               .Add({})) {}

InputConsumer::~InputConsumer() { Stop(); }

absl::StatusOr<size_t> InputConsumer::RunOnce() {
  const auto steady = std::chrono::steady_clock::now();
  if (steady >= next_tick_) {
    next_tick_ = steady + options_.tick_interval;
    if (auto s = desk_.Tick(); !s.ok()) spdlog::warn("incident tick: {}", s.ToString());
    lag_.Set(static_cast<double>(consumer_.Lag()));
  }
  if (steady >= next_prune_) {
    next_prune_ = steady + std::chrono::hours(1);
    auto pruned = store_.PruneApplied(clock_.Now() - options_.applied_events_retention);
    if (!pruned.ok()) spdlog::warn("pruning applied event ids: {}", pruned.status().ToString());
  }
  if (pending_.empty()) {
    auto polled = consumer_.Poll(options_.batch, options_.poll_timeout);
    if (!polled.ok()) return polled.status();
    pending_ = std::move(*polled);
    if (pending_.empty()) return 0;
  }
  auto applied = desk_.Apply(pending_);
  if (!applied.ok()) return applied.status();
  // The database has the work: Kafka may forget it. A failed commit only
  // means these messages come again, and are then skipped by their event ids.
  if (auto s = consumer_.Commit(pending_); !s.ok()) {
    spdlog::warn("incident inputs: offset commit failed ({}); they will be skipped on replay", s.ToString());
  }
  pending_.clear();
  return applied;
}

void InputConsumer::Start() {
  running_ = true;
  thread_ = std::thread([this] {
    auto backoff = std::chrono::milliseconds(100);
    while (running_) {
      auto result = RunOnce();
      if (result.ok()) {
        backoff = std::chrono::milliseconds(100);
        continue;
      }
      spdlog::error("incident inputs: {} (retrying in {} ms)", result.status().ToString(), backoff.count());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  });
}

void InputConsumer::Stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

}  // namespace cityops::incidents
