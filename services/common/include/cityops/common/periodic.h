#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cityops::common {

// Runs a function now and then every interval on its own thread, until Stop()
// (which wakes it at once and waits for the run in progress).
class PeriodicTask {
 public:
  PeriodicTask() = default;
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  ~PeriodicTask() { Stop(); }

  void Start(std::chrono::milliseconds interval, std::function<void()> fn) {
    {
      std::lock_guard lock(mutex_);
      running_ = true;
    }
    thread_ = std::thread([this, interval, fn = std::move(fn)] {
      std::unique_lock lock(mutex_);
      while (running_) {
        lock.unlock();
        fn();
        lock.lock();
        cv_.wait_for(lock, interval, [this] { return !running_; });
      }
    });
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      running_ = false;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace cityops::common
