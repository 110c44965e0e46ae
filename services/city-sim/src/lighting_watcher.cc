#include "lighting_watcher.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace cityops::sim {

namespace lv1 = lighting::v1;

LightingWatcher::LightingWatcher(const std::shared_ptr<grpc::Channel>& channel, FieldLevels& field,
                                 std::function<void(const std::string&)> print)
    : stub_(lv1::LightingControl::NewStub(channel)), field_(field), print_(std::move(print)) {}

LightingWatcher::~LightingWatcher() { Stop(); }

void LightingWatcher::Start() {
  thread_ = std::thread([this] { Watch(); });
}

void LightingWatcher::Stop() {
  stop_ = true;
  {
    std::lock_guard lock(context_mutex_);
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void LightingWatcher::Watch() {
  bool announced = false;
  while (!stop_) {
    grpc::ClientContext context;
    {
      std::lock_guard lock(context_mutex_);
      context_ = &context;
    }
    auto reader = stub_->WatchCommands(&context, lv1::WatchCommandsRequest());
    lv1::LightingCommand command;
    while (!stop_ && reader->Read(&command)) {
      if (!announced) {
        print_("watching lighting control's commands; the light points obey (totals in the progress lines)");
        announced = true;
      }
      field_.Apply(command);
    }
    const auto status = reader->Finish();
    {
      std::lock_guard lock(context_mutex_);
      context_ = nullptr;
    }
    if (!stop_) {
      spdlog::debug("lighting commands stream ended: {}", status.error_message());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

}  // namespace cityops::sim
