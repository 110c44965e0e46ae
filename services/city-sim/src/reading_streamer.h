#pragma once

// Sends batches of readings to telemetry-ingest over one StreamReadings stream
// and counts the acknowledgements. A worker thread writes, another reads the
// acks; when the stream breaks (ingest restarted), it is opened again and what
// was in flight is counted as failed (the simulator does not resend: the next
// readings follow soon enough).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"

namespace cityops::sim {

struct StreamStats {
  uint64_t batches_sent = 0;
  uint64_t readings_sent = 0;
  uint64_t readings_acked = 0;     // confirmed by Kafka
  uint64_t readings_rejected = 0;  // refused by ingest's validation
  uint64_t readings_failed = 0;    // not confirmed (stream broke, UNAVAILABLE)
  uint64_t readings_dropped = 0;   // never sent: the queue was full
  uint64_t stream_restarts = 0;
  std::string last_error;
};

class ReadingStreamer {
 public:
  // max_inflight is only a safety net: telemetry-ingest answers a batch when the
  // next one arrives (or the stream closes) and pushes back on its own
  // (max-inflight-batches), so a client that waited for acks before sending
  // more would stall the stream.
  ReadingStreamer(telemetry::v1::TelemetryIngest::Stub& stub, size_t max_queued = 256, size_t max_inflight = 4096);
  ~ReadingStreamer();
  ReadingStreamer(const ReadingStreamer&) = delete;
  ReadingStreamer& operator=(const ReadingStreamer&) = delete;

  void Start();
  // Queues a batch without blocking; false (and counted as dropped) when the
  // queue is full or the streamer is stopping.
  bool Send(telemetry::v1::ReadingBatch batch);
  // Sends what is queued, waits for the acks (until the timeout), closes the stream.
  void Stop(std::chrono::milliseconds timeout);
  StreamStats stats() const;

 private:
  void Run();
  void RunSession();
  void OnAck(const telemetry::v1::BatchAck& ack);
  void NoteError(const std::string& error);

  telemetry::v1::TelemetryIngest::Stub& stub_;
  const size_t max_queued_;
  const size_t max_inflight_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<telemetry::v1::ReadingBatch> queue_;
  std::map<uint64_t, size_t> inflight_;  // batch id -> readings
  bool stopping_ = false;
  bool reader_done_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  StreamStats stats_;
  uint64_t errors_logged_ = 0;
  std::thread worker_;
};

}  // namespace cityops::sim
