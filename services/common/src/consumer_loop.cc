#include "cityops/common/consumer_loop.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace cityops::common {

ConsumerLoop::ConsumerLoop(KafkaConsumer& consumer, BatchHandler& handler, ConsumerLoopOptions options,
                           prometheus::Registry& metrics, std::string_view metric_service)
    : consumer_(consumer),
      handler_(handler),
      options_(options),
      lag_(prometheus::BuildGauge()
               .Name(absl::StrCat("cityops_", std::string(metric_service), "_consumer_lag_messages"))
               .Help("Input messages not yet consumed on the partitions this instance holds")
               .Register(metrics)
               .Add({})) {}

ConsumerLoop::~ConsumerLoop() { Stop(); }

absl::StatusOr<size_t> ConsumerLoop::RunOnce() {
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_tick_) {
    next_tick_ = now + options_.tick_interval;
    if (auto s = handler_.Tick(); !s.ok()) spdlog::warn("consumer tick: {}", s.ToString());
    lag_.Set(static_cast<double>(consumer_.Lag()));
  }
  if (now >= next_housekeeping_) {
    next_housekeeping_ = now + options_.housekeeping_interval;
    handler_.Housekeeping();
  }
  if (pending_.empty()) {
    auto polled = consumer_.Poll(options_.batch, options_.poll_timeout);
    if (!polled.ok()) return polled.status();
    pending_ = std::move(*polled);
    if (pending_.empty()) return 0;
  }
  auto applied = handler_.Apply(pending_);
  if (!applied.ok()) return applied.status();
  // The database has the work: Kafka may forget it. A failed commit only
  // means these messages come again, and are then skipped by their event ids.
  if (auto s = consumer_.Commit(pending_); !s.ok()) {
    spdlog::warn("offset commit failed ({}); the messages will be skipped on replay", s.ToString());
  }
  pending_.clear();
  return applied;
}

void ConsumerLoop::Start() {
  running_ = true;
  thread_ = std::thread([this] {
    auto backoff = std::chrono::milliseconds(100);
    while (running_) {
      auto result = RunOnce();
      if (result.ok()) {
        backoff = std::chrono::milliseconds(100);
        continue;
      }
      spdlog::error("consumer: {} (retrying in {} ms)", result.status().ToString(), backoff.count());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  });
}

void ConsumerLoop::Stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

}  // namespace cityops::common
