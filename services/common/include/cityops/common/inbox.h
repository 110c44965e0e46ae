#pragma once

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "cityops/common/pg.h"

// The consuming side of exactly-once in effect, shared by the services that
// apply events of other services. A service's migration creates, in its schema:
//   CREATE TABLE applied_events (event_id text PRIMARY KEY,
//     applied_at timestamptz NOT NULL DEFAULT now());
//   CREATE INDEX applied_events_at ON applied_events (applied_at);
//   CREATE TABLE dead_letters (topic text NOT NULL, partition integer NOT NULL,
//     "offset" bigint NOT NULL, key bytea NOT NULL, value bytea NOT NULL,
//     reason text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
//     PRIMARY KEY (topic, partition, "offset"));
namespace cityops::common {

class Inbox {
 public:
  // Records the event ids in the caller's transaction; returns those not
  // recorded before (the ones to apply now).
  static std::set<std::string> MarkApplied(pqxx::work& tx, const std::vector<std::string>& event_ids);
  // Keeps a message that cannot be used, with its place on the topic and why.
  static void SetAside(pqxx::work& tx, const ConsumedMessage& message, const std::string& reason);
  // Forgets applied ids older than the cut (longer ago than the topics keep
  // anything); returns how many.
  static absl::StatusOr<int64_t> PruneApplied(PgPool& pool, TimePoint older_than);
};

// The messages of a batch that cannot be used, each with why: kept in
// dead_letters in the batch's transaction, logged once it committed.
class RejectedMessages {
 public:
  void Add(const ConsumedMessage& message, std::string reason) { items_.emplace_back(&message, std::move(reason)); }
  // Inbox::SetAside for each, in the caller's transaction.
  void SetAside(pqxx::work& tx) const;
  // After the commit: one warning per message ("set aside topic[partition]@offset: reason").
  void Log() const;
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<std::pair<const ConsumedMessage*, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<const ConsumedMessage*, std::string>> items_;
};

// An event of another service, decoded, with its id (meta().event_id()).
template <typename Event>
struct DecodedEvent {
  std::string event_id;
  Event event;
};

// The messages of `topic` parsed as `Event` (a protobuf message with a
// meta().event_id()). Rejected: another topic ("unexpected topic"), an
// undecodable value ("undecodable <what>"), no event id, or what `problem`
// says of the event (an empty string: nothing wrong).
template <typename Event, typename Problem>
std::vector<DecodedEvent<Event>> DecodeEvents(const std::vector<ConsumedMessage>& messages, std::string_view topic,
                                              std::string_view what, Problem problem, RejectedMessages& rejected) {
  std::vector<DecodedEvent<Event>> out;
  out.reserve(messages.size());
  for (const auto& m : messages) {
    DecodedEvent<Event> in;
    if (m.topic != topic) {
      rejected.Add(m, "unexpected topic");
    } else if (!in.event.ParseFromString(m.value)) {
      rejected.Add(m, "undecodable " + std::string(what));
    } else if (in.event.meta().event_id().empty()) {
      rejected.Add(m, "no event id");
    } else if (std::string why = problem(in.event); !why.empty()) {
      rejected.Add(m, std::move(why));
    } else {
      in.event_id = in.event.meta().event_id();
      out.push_back(std::move(in));
    }
  }
  return out;
}

// In the batch's transaction: records the events' ids as applied and returns
// those not applied before, in order; `replayed` counts the others.
template <typename Event>
std::vector<const DecodedEvent<Event>*> FreshEvents(pqxx::work& tx, const std::vector<DecodedEvent<Event>>& events,
                                                    size_t& replayed) {
  std::vector<std::string> ids;
  ids.reserve(events.size());
  for (const auto& e : events) ids.push_back(e.event_id);
  std::set<std::string> fresh = Inbox::MarkApplied(tx, ids);
  std::vector<const DecodedEvent<Event>*> out;
  replayed = 0;
  for (const auto& e : events) {
    if (fresh.erase(e.event_id) == 0) {
      ++replayed;
    } else {
      out.push_back(&e);
    }
  }
  return out;
}

}  // namespace cityops::common
