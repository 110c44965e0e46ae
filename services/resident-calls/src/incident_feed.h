#pragma once

#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "cityops/common/consumer_loop.h"
#include "cityops/common/pg.h"
#include "request_book.h"

// Consumes incident correlation's events (topic cityops.incidents.v1): each
// event applied once (its id in applied_events), in one transaction per
// batch, so that linked requests learn their incident and close with it.
// Undecodable events are set aside in dead_letters. Its housekeeping deletes
// the personal data whose retention is over.
namespace cityops::calls {

class IncidentFeed final : public common::BatchHandler {
 public:
  IncidentFeed(common::PgPool& pool, RequestBook& book, std::string incidents_topic, prometheus::Registry& metrics);

  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages) override;
  absl::Status Tick() override;
  void Housekeeping() override;

 private:
  common::PgPool& pool_;
  RequestBook& book_;
  std::string topic_;
  prometheus::Counter& applied_;
  prometheus::Counter& replayed_;
  prometheus::Counter& dead_letters_;
  prometheus::Counter& requests_changed_;
};

}  // namespace cityops::calls
