#pragma once

// Watches the faults topic and prints each FaultEvent as one readable line on
// stdout, so that whoever runs the simulator sees what the platform noticed.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cityops/common/kafka.h"

namespace cityops::sim {

class FaultWatcher {
 public:
  // `print` gets each line (without newline); it is called from the watcher's thread.
  FaultWatcher(std::unique_ptr<common::KafkaConsumer> consumer, std::function<void(const std::string&)> print);
  ~FaultWatcher();
  FaultWatcher(const FaultWatcher&) = delete;
  FaultWatcher& operator=(const FaultWatcher&) = delete;

  void Start();
  void Stop();
  uint64_t raised() const { return raised_.load(); }
  uint64_t cleared() const { return cleared_.load(); }

 private:
  void Run();

  std::unique_ptr<common::KafkaConsumer> consumer_;
  std::function<void(const std::string&)> print_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> raised_{0};
  std::atomic<uint64_t> cleared_{0};
  std::thread thread_;
};

}  // namespace cityops::sim
