#include "reading_streamer.h"

#include <spdlog/spdlog.h>

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

// How long the stream may take to answer what is in flight when it is closed
// for a reason other than stopping.
constexpr auto kDrainTimeout = std::chrono::seconds(10);
constexpr auto kReconnectDelay = std::chrono::seconds(1);
// The first errors are logged, then one in this many.
constexpr uint64_t kLogEveryNthError = 100;

}  // namespace

ReadingStreamer::ReadingStreamer(v1::TelemetryIngest::Stub& stub, size_t max_queued, size_t max_inflight)
    : stub_(stub), max_queued_(max_queued), max_inflight_(max_inflight) {}

ReadingStreamer::~ReadingStreamer() { Stop(std::chrono::seconds(0)); }

void ReadingStreamer::Start() {
  worker_ = std::thread([this] { Run(); });
}

bool ReadingStreamer::Send(v1::ReadingBatch batch) {
  std::lock_guard lock(mutex_);
  if (stopping_ || queue_.size() >= max_queued_) {
    stats_.readings_dropped += static_cast<uint64_t>(batch.readings_size());
    return false;
  }
  queue_.push_back(std::move(batch));
  cv_.notify_all();
  return true;
}

void ReadingStreamer::Stop(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + timeout;
    }
    cv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
}

StreamStats ReadingStreamer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void ReadingStreamer::Run() {
  for (;;) {
    RunSession();
    std::unique_lock lock(mutex_);
    if (stopping_) break;
    ++stats_.stream_restarts;
    cv_.wait_for(lock, kReconnectDelay, [this] { return stopping_; });
    if (stopping_ && queue_.empty()) break;
  }
  std::lock_guard lock(mutex_);
  for (const auto& batch : queue_) stats_.readings_dropped += static_cast<uint64_t>(batch.readings_size());
  queue_.clear();
}

void ReadingStreamer::RunSession() {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ReadingBatch, v1::BatchAck>> stream = stub_.StreamReadings(&context);
  {
    std::lock_guard lock(mutex_);
    reader_done_ = false;
  }
  std::thread reader([&] {
    v1::BatchAck ack;
    while (stream->Read(&ack)) OnAck(ack);
    std::lock_guard lock(mutex_);
    reader_done_ = true;
    cv_.notify_all();
  });

  std::unique_lock lock(mutex_);
  for (;;) {
    const auto stop_now = [this] {
      return stopping_ && (queue_.empty() || std::chrono::steady_clock::now() >= stop_deadline_);
    };
    // Timed, because the stop deadline passing notifies no one.
    const bool ready = cv_.wait_for(lock, std::chrono::milliseconds(200), [&] {
      return reader_done_ || stop_now() || (!queue_.empty() && inflight_.size() < max_inflight_);
    });
    if (!ready) continue;
    if (reader_done_ || stop_now()) break;
    v1::ReadingBatch batch = std::move(queue_.front());
    queue_.pop_front();
    const auto size = static_cast<size_t>(batch.readings_size());
    inflight_[batch.batch_id()] = size;
    ++stats_.batches_sent;
    stats_.readings_sent += size;
    lock.unlock();
    const bool written = stream->Write(batch);
    lock.lock();
    if (!written) break;  // the stream is broken; Finish tells why
  }
  lock.unlock();
  stream->WritesDone();

  // Let the acks of what is in flight arrive, within bounds.
  lock.lock();
  const auto drain_until = stopping_ ? stop_deadline_ : std::chrono::steady_clock::now() + kDrainTimeout;
  cv_.wait_until(lock, drain_until, [this] { return reader_done_ || inflight_.empty(); });
  const bool cancel = !reader_done_ && !inflight_.empty();
  lock.unlock();
  if (cancel) context.TryCancel();
  // With nothing in flight, the server ends the stream after WritesDone.
  reader.join();
  const grpc::Status status = stream->Finish();

  lock.lock();
  for (const auto& [id, size] : inflight_) stats_.readings_failed += size;
  inflight_.clear();
  const bool quiet = stopping_ && (status.ok() || status.error_code() == grpc::StatusCode::CANCELLED);
  lock.unlock();
  if (!quiet) {
    NoteError("StreamReadings ended: " + (status.ok() ? std::string("by the server") : status.error_message()));
  }
}

void ReadingStreamer::OnAck(const v1::BatchAck& ack) {
  std::string error;
  {
    std::lock_guard lock(mutex_);
    const auto it = inflight_.find(ack.batch_id());
    const size_t size = it == inflight_.end() ? 0 : it->second;
    if (it != inflight_.end()) inflight_.erase(it);
    stats_.readings_acked += ack.accepted();
    if (ack.code() == 0) {
      stats_.readings_rejected += static_cast<uint64_t>(ack.rejections_size());
    } else if (ack.code() == static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT)) {
      stats_.readings_rejected += size > ack.accepted() ? size - ack.accepted() : 0;
    } else {
      stats_.readings_failed += size > ack.accepted() ? size - ack.accepted() : 0;
    }
    if (ack.code() != 0 || ack.rejections_size() > 0) {
      error = "batch " + std::to_string(ack.batch_id()) + " code " + std::to_string(ack.code()) + ": " + ack.message();
      if (ack.rejections_size() > 0) {
        const auto& r = ack.rejections(0);
        error +=
            " (first rejection: reading " + std::to_string(r.index()) + " " + r.reason() + ": " + r.message() + ")";
      }
    }
    cv_.notify_all();
  }
  if (!error.empty()) NoteError(error);
}

void ReadingStreamer::NoteError(const std::string& error) {
  uint64_t n = 0;
  {
    std::lock_guard lock(mutex_);
    stats_.last_error = error;
    n = ++errors_logged_;
  }
  if (n <= 5 || n % kLogEveryNthError == 0) spdlog::warn("readings: {} (error #{})", error, n);
}

}  // namespace cityops::sim
