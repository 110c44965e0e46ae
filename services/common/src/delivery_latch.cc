#include "cityops/common/kafka.h"

namespace cityops::common {

void DeliveryLatch::Done(const DeliveryResult& result) {
  std::lock_guard lock(mutex_);
  if (!result.status.ok() && first_error_.ok()) first_error_ = result.status;
  if (pending_ > 0) --pending_;
  // Waiters care about "all done" and "one failed": both are worth a wake-up.
  if (pending_ == 0 || !result.status.ok()) cv_.notify_all();
}

absl::Status DeliveryLatch::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool finished = cv_.wait_for(lock, timeout, [this] { return pending_ == 0 || !first_error_.ok(); });
  if (!first_error_.ok()) return first_error_;
  if (!finished) {
    return absl::DeadlineExceededError("Kafka did not confirm " + std::to_string(pending_) + " message(s) in time");
  }
  return absl::OkStatus();
}

}  // namespace cityops::common
