#pragma once

#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/clock.h"
#include "cityops/common/pg.h"
#include "domain/calls_config.h"
#include "domain/incident_links.h"
#include "domain/request_rules.h"

// Resident calls' use cases: each one checks its input with the domain's
// rules, changes the schema in one transaction and enqueues the request's
// event in the outbox of that same transaction. Bad input changes nothing.
namespace cityops::calls {

class RequestBook {
 public:
  RequestBook(common::PgPool& pool, const CallsConfig& config, DistrictLocator locate, const common::Clock& clock,
              prometheus::Registry& metrics);

  std::vector<v1::Category> Categories() const;
  absl::StatusOr<std::vector<v1::DuplicateCandidate>> SuggestDuplicates(const v1::SuggestDuplicatesRequest& request);
  absl::StatusOr<v1::CreateRequestResponse> Create(const v1::CreateRequestRequest& request, bool with_personal_data);
  absl::StatusOr<v1::RequestDetail> Get(const std::string& id, bool with_personal_data);
  absl::StatusOr<v1::ListRequestsResponse> List(const v1::ListRequestsRequest& request);
  absl::StatusOr<v1::RequestDetail> ChangeStatus(const v1::ChangeStatusRequest& request, bool with_personal_data);
  absl::StatusOr<v1::RequestDetail> AddNote(const v1::AddNoteRequest& request, bool with_personal_data);
  absl::StatusOr<v1::Statistics> Statistics(const v1::GetStatisticsRequest& request);

  // Inside the incident feed's transaction: follows the incidents' news;
  // returns how many requests changed. Requests this service does not know
  // are skipped.
  size_t ApplyIncidentNews(pqxx::work& tx, const std::vector<IncidentNews>& news);
  // Deletes the personal data whose retention is over; returns how many requests.
  absl::StatusOr<int64_t> PurgePersonalData();
  // Refreshes the linked-share gauge (requests of the last 24 h).
  absl::Status RefreshGauges();

  const CallsConfig& config() const { return config_; }

 private:
  // A changed request: one more version, the updated time, stored, its event enqueued.
  void Save(pqxx::work& tx, v1::ResidentRequest& request, v1::RequestChange change);
  // The request's event, in the outbox of the transaction ("<id>/<version>").
  void Publish(pqxx::work& tx, const v1::ResidentRequest& request, v1::RequestChange change);
  // Changes the status with its history entry (the note is public).
  void Move(pqxx::work& tx, v1::ResidentRequest& request, v1::RequestStatus to, const std::string& note,
            const std::string& actor);
  absl::StatusOr<v1::RequestDetail> Detail(pqxx::work& tx, const v1::ResidentRequest& request, bool with_personal_data);
  absl::StatusOr<v1::CreateRequestResponse> AddCaller(const v1::CreateRequestRequest& request, bool with_personal_data);
  void Rejected(const absl::Status& status);

  common::PgPool& pool_;
  const CallsConfig& config_;
  DistrictLocator locate_;
  const common::Clock& clock_;
  prometheus::Family<prometheus::Counter>& created_;
  prometheus::Counter& callers_added_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Histogram& time_to_close_;
  prometheus::Counter& linked_;
  prometheus::Counter& purged_;
  prometheus::Gauge& linked_share_;
};

}  // namespace cityops::calls
