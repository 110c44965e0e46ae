#include "fault_watcher.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "cityops/common/topic_names.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "fault_line.h"

namespace cityops::sim {

FaultWatcher::FaultWatcher(std::unique_ptr<common::KafkaConsumer> consumer,
                           std::function<void(const std::string&)> print,
                           std::function<void(const std::string&)> print_incident)
    : consumer_(std::move(consumer)), print_(std::move(print)), print_incident_(std::move(print_incident)) {}

FaultWatcher::~FaultWatcher() { Stop(); }

void FaultWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void FaultWatcher::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) consumer_->Close();
}

std::string FaultWatcher::AssetOfIncident(const std::string& incident_id) const {
  std::lock_guard lock(incidents_mutex_);
  const auto it = incident_assets_.find(incident_id);
  return it == incident_assets_.end() ? std::string() : it->second;
}

void FaultWatcher::Run() {
  uint64_t errors = 0;
  while (!stop_.load()) {
    auto messages = consumer_->Poll(500, std::chrono::milliseconds(250));
    if (!messages.ok()) {
      if (++errors <= 3 || errors % 100 == 0) spdlog::warn("faults topic: {}", messages.status().ToString());
      continue;
    }
    for (const auto& message : *messages) {
      if (message.topic.size() >= incidents_suffix_.size() &&
          message.topic.compare(message.topic.size() - incidents_suffix_.size(), incidents_suffix_.size(),
                                incidents_suffix_) == 0) {
        incidents::v1::IncidentEvent incident;
        if (!incident.ParseFromString(message.value)) continue;
        if (incident.change() == incidents::v1::INCIDENT_CHANGE_OPENED) ++incidents_opened_;
        if (!incident.incident().id().empty() && !incident.incident().asset_id().empty()) {
          std::lock_guard lock(incidents_mutex_);
          incident_assets_[incident.incident().id()] = incident.incident().asset_id();
        }
        const std::string line = FormatIncidentEvent(incident);
        if (!line.empty()) print_incident_(line);
        continue;
      }
      telemetry::v1::FaultEvent event;
      if (!event.ParseFromString(message.value)) {
        spdlog::warn("faults topic: unreadable message at partition {} offset {}", message.partition, message.offset);
        continue;
      }
      if (event.state() == telemetry::v1::FAULT_STATE_CLEARED) {
        ++cleared_;
      } else {
        ++raised_;
      }
      print_(FormatFaultEvent(event));
    }
    // Offsets are not committed: each run watches from the end, in a group of its own.
  }
}

}  // namespace cityops::sim
