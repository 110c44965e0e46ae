#pragma once

// The field's side of lighting control: watches its commands
// (LightingControl.WatchCommands) and sets the commanded levels in the
// simulated controllers (FieldLevels). Reconnects while lighting control
// restarts.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "field_levels.h"

namespace cityops::sim {

class LightingWatcher {
 public:
  LightingWatcher(const std::shared_ptr<grpc::Channel>& channel, FieldLevels& field,
                  std::function<void(const std::string&)> print);
  ~LightingWatcher();
  LightingWatcher(const LightingWatcher&) = delete;
  LightingWatcher& operator=(const LightingWatcher&) = delete;

  void Start();
  void Stop();

 private:
  void Watch();

  std::unique_ptr<lighting::v1::LightingControl::Stub> stub_;
  FieldLevels& field_;
  std::function<void(const std::string&)> print_;
  std::atomic<bool> stop_{false};
  std::mutex context_mutex_;
  grpc::ClientContext* context_ = nullptr;
  std::thread thread_;
};

}  // namespace cityops::sim
