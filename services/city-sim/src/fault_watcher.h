#pragma once

// Watches the faults topic (and the incidents topic when subscribed to it)
// and prints each event as one readable line on stdout, so that whoever runs
// the simulator sees what the platform noticed and what it made of it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cityops/common/kafka.h"
#include "cityops/common/topic_names.h"

namespace cityops::sim {

class FaultWatcher {
 public:
  // `print` gets each line (without newline); it is called from the watcher's thread.
  FaultWatcher(std::unique_ptr<common::KafkaConsumer> consumer, std::function<void(const std::string&)> print,
               std::function<void(const std::string&)> print_incident = {});
  ~FaultWatcher();
  FaultWatcher(const FaultWatcher&) = delete;
  FaultWatcher& operator=(const FaultWatcher&) = delete;

  void Start();
  void Stop();
  uint64_t raised() const { return raised_.load(); }
  uint64_t cleared() const { return cleared_.load(); }
  uint64_t incidents_opened() const { return incidents_opened_.load(); }
  // The asset of an incident seen on the incidents topic (empty when unknown
  // or when it has none, as an incident opened by a resident's call).
  // Thread-safe.
  std::string AssetOfIncident(const std::string& incident_id) const;

 private:
  void Run();

  std::unique_ptr<common::KafkaConsumer> consumer_;
  std::function<void(const std::string&)> print_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> raised_{0};
  std::atomic<uint64_t> cleared_{0};
  std::atomic<uint64_t> incidents_opened_{0};
  std::function<void(const std::string&)> print_incident_;
  mutable std::mutex incidents_mutex_;
  std::map<std::string, std::string> incident_assets_;  // incident id -> asset id
  const std::string incidents_suffix_{topics::kIncidents};
  std::thread thread_;
};

}  // namespace cityops::sim
