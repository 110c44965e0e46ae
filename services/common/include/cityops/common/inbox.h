#pragma once

#include <chrono>
#include <set>
#include <string>
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

}  // namespace cityops::common
