#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cityops/common/clock.h"

// The live feed's recent events, numbered, for the clients of one gateway
// instance: a client that reconnects with the id of the last event it saw
// gets every event after it that is still held.
namespace cityops::gateway {

struct FeedEvent {
  uint64_t seq = 0;
  common::TimePoint at{};
  std::string type;  // "incident", "assignment", "crew", "lighting", "call"
  std::string data;  // one line of JSON
};

class FeedBuffer {
 public:
  // Events are held for `window`, at most `max_events` of them and at most
  // `max_bytes` of their data together (the oldest go first). `epoch` names
  // this instance's numbering (ids are "<epoch>-<seq>").
  FeedBuffer(std::string epoch, std::chrono::milliseconds window, size_t max_events, const common::Clock& clock,
             size_t max_bytes = kDefaultMaxBytes);
  static constexpr size_t kDefaultMaxBytes = 24 * 1024 * 1024;

  // Adds an event; returns its number. Thread-safe.
  uint64_t Add(std::string type, std::string data);

  struct Resume {
    uint64_t after = 0;  // send the events numbered above this
    bool reset = false;  // the client missed events: it must reload
  };
  // Where a client resumes: after its last id when that id is this instance's
  // and nothing after it was dropped; otherwise reset, from now on. No id:
  // from now on, no reset.
  Resume ResumeFrom(std::string_view last_event_id) const;

  // Up to `max` events numbered above `after`, oldest first.
  std::vector<FeedEvent> After(uint64_t after, size_t max) const;

  std::string IdOf(uint64_t seq) const;
  uint64_t last_seq() const;
  size_t size() const;
  size_t bytes() const;

 private:
  void Trim();  // with mu_ held

  const std::string epoch_;
  const std::chrono::milliseconds window_;
  const size_t max_events_;
  const size_t max_bytes_;
  const common::Clock& clock_;
  mutable std::mutex mu_;
  std::deque<FeedEvent> events_;  // guarded by mu_
  uint64_t last_seq_ = 0;         // guarded by mu_
  size_t bytes_ = 0;              // data and type sizes of events_, guarded by mu_
};

}  // namespace cityops::gateway
