#include "request_book.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "calls_store.h"
#include "cityops/calls/v1/requests.pb.h"
#include "cityops/common/outbox.h"
#include "cityops/common/paging.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"
#include "cityops/common/topic_names.h"
#include "domain/duplicates.h"
#include "domain/statistics.h"

namespace cityops::calls {

namespace {

using common::FromProtoTime;
using common::ToProtoTime;

constexpr const char* kProducer = "resident-calls";
constexpr const char* kIncidentActor = "incident-correlation";
constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 500;
constexpr int kMaxIds = 100;
constexpr auto kMaxStatisticsPeriod = std::chrono::hours(24 * 366);

absl::Status NotFound(const std::string& id) { return absl::NotFoundError(absl::StrCat("no request ", id)); }

}  // namespace

RequestBook::RequestBook(common::PgPool& pool, const CallsConfig& config, DistrictLocator locate,
                         const common::Clock& clock, prometheus::Registry& metrics)
    : pool_(pool),
      config_(config),
      locate_(std::move(locate)),
      clock_(clock),
      created_(prometheus::BuildCounter()
                   .Name("cityops_resident_calls_requests_total")
                   .Help("Requests created, by category and channel")
                   .Register(metrics)),
      callers_added_(prometheus::BuildCounter()
                         .Name("cityops_resident_calls_callers_added_total")
                         .Help("Calls added to an open request instead of creating one")
                         .Register(metrics)
                         .Add({})),
      rejected_(prometheus::BuildCounter()
                    .Name("cityops_resident_calls_rejected_total")
                    .Help("Commands refused, by status code (nothing was changed)")
                    .Register(metrics)),
      time_to_close_(
          prometheus::BuildHistogram()
              .Name("cityops_resident_calls_time_to_close_seconds")
              .Help("From a request's creation to its closing")
              .Register(metrics)
              .Add({}, prometheus::Histogram::BucketBoundaries{3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400,
                                                               7 * 86400, 14 * 86400, 30 * 86400})),
      linked_(prometheus::BuildCounter()
                  .Name("cityops_resident_calls_linked_total")
                  .Help("Requests linked to an incident that was already open")
                  .Register(metrics)
                  .Add({})),
      purged_(prometheus::BuildCounter()
                  .Name("cityops_resident_calls_personal_data_purged_total")
                  .Help("Requests whose residents' personal data was deleted after the retention period")
                  .Register(metrics)
                  .Add({})),
      linked_share_(prometheus::BuildGauge()
                        .Name("cityops_resident_calls_linked_share_ratio")
                        .Help("Share of the last 24 hours' requests linked to an incident that was already open")
                        .Register(metrics)
                        .Add({})) {}

void RequestBook::Rejected(const absl::Status& status) {
  rejected_.Add({{"code", absl::StatusCodeToString(status.code())}}).Increment();
}

std::vector<v1::Category> RequestBook::Categories() const {
  std::vector<v1::Category> out;
  for (const auto& c : config_.categories) {
    v1::Category& p = out.emplace_back();
    p.set_code(c.code);
    p.set_name(c.name);
    p.set_description(c.description);
    p.set_group(c.group);
    p.set_target_hours(c.target_hours);
    for (const auto& r : c.related) p.add_related(r);
    for (const auto& k : c.keywords) p.add_keywords(k);
  }
  return out;
}

absl::StatusOr<std::vector<v1::DuplicateCandidate>> RequestBook::SuggestDuplicates(
    const v1::SuggestDuplicatesRequest& request) {
  // The same checks as a new request's category and place.
  if (auto district = CheckCategoryAndPlace(request.category(), request.has_location() ? &request.location() : nullptr,
                                            config_, locate_);
      !district.ok()) {
    Rejected(district.status());
    return district.status();
  }
  const double lat = request.location().lat();
  const double lon = request.location().lon();
  std::vector<v1::ResidentRequest> nearby;
  CITYOPS_RETURN_IF_ERROR(pool_.WithTransaction([&](pqxx::work& tx) {
    nearby = store::OpenInBox(tx, BoxAround(lat, lon, config_.duplicate_radius_m));
    return absl::OkStatus();
  }));
  return FindDuplicates(nearby, request.category(), lat, lon, config_);
}

void RequestBook::Save(pqxx::work& tx, v1::ResidentRequest& request, v1::RequestChange change) {
  request.set_version(request.version() + 1);
  *request.mutable_updated_at() = ToProtoTime(clock_.Now());
  store::Update(tx, request);
  Publish(tx, request, change);
}

void RequestBook::Publish(pqxx::work& tx, const v1::ResidentRequest& request, v1::RequestChange change) {
  v1::RequestEvent event;
  event.mutable_meta()->set_event_id(absl::StrCat(request.id(), "/", request.version()));
  *event.mutable_meta()->mutable_occurred_at() = request.updated_at();
  event.mutable_meta()->set_producer(kProducer);
  event.set_change(change);
  *event.mutable_request() = request;
  common::Outbox::Enqueue(tx, topics::kCallsRequests, request.id(), event.SerializeAsString());
}

void RequestBook::Move(pqxx::work& tx, v1::ResidentRequest& request, v1::RequestStatus to, const std::string& note,
                       const std::string& actor) {
  const common::TimePoint now = clock_.Now();
  request.set_status(to);
  request.set_status_note(note);
  if (to == v1::REQUEST_STATUS_CLOSED) {
    *request.mutable_closed_at() = ToProtoTime(now);
    time_to_close_.Observe(std::chrono::duration<double>(now - FromProtoTime(request.created_at())).count());
  } else {
    request.clear_closed_at();
  }
  v1::StatusChange change;
  change.set_status(to);
  change.set_note(note);
  change.set_actor(actor);
  *change.mutable_at() = ToProtoTime(now);
  store::AddHistory(tx, request.id(), change);
}

absl::StatusOr<v1::RequestDetail> RequestBook::Detail(pqxx::work& tx, const v1::ResidentRequest& request,
                                                      bool with_personal_data) {
  v1::RequestDetail detail;
  *detail.mutable_request() = request;
  store::FillDetail(tx, detail, with_personal_data);
  return detail;
}

absl::StatusOr<v1::CreateRequestResponse> RequestBook::Create(const v1::CreateRequestRequest& request,
                                                              bool with_personal_data) {
  if (!request.link_to().empty()) return AddCaller(request, with_personal_data);
  auto district = CheckNewRequest(request, config_, locate_);
  if (!district.ok()) {
    Rejected(district.status());
    return district.status();
  }
  const CategoryConfig& category = *config_.Find(request.category());
  v1::CreateRequestResponse response;
  auto attempt = [&]() {
    return pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
      if (!request.idempotency_key().empty()) {
        if (auto existing = store::IdForKey(tx, request.idempotency_key())) {
          auto loaded = store::Load(tx, *existing, false);
          if (!loaded) return absl::InternalError("idempotency key without its request");
          CITYOPS_ASSIGN_OR_RETURN(*response.mutable_request(), Detail(tx, *loaded, with_personal_data));
          response.set_created(false);
          return absl::OkStatus();
        }
      }
      const common::TimePoint now = clock_.Now();
      v1::ResidentRequest r;
      r.set_id(store::NextId(tx));
      r.set_category(category.code);
      r.set_description(request.description());
      *r.mutable_location() = request.location();
      r.set_address(request.address());
      r.set_district(*district);
      r.set_channel(request.channel());
      r.set_status(v1::REQUEST_STATUS_OPEN);
      r.set_recorded_by(request.recorded_by());
      *r.mutable_created_at() = ToProtoTime(now);
      *r.mutable_expected_at() = ToProtoTime(ExpectedAt(category, now));
      r.set_callers(1);
      r.set_status_note("Request received.");
      *r.mutable_updated_at() = r.created_at();
      r.set_version(1);
      store::Insert(tx, r, request.idempotency_key());
      v1::StatusChange opened;
      opened.set_status(v1::REQUEST_STATUS_OPEN);
      opened.set_note(r.status_note());
      opened.set_actor(request.recorded_by());
      *opened.mutable_at() = r.created_at();
      store::AddHistory(tx, r.id(), opened);
      if (store::HasPersonalData(request.resident())) store::AddResident(tx, r.id(), request.resident(), now);
      Publish(tx, r, v1::REQUEST_CHANGE_CREATED);
      CITYOPS_ASSIGN_OR_RETURN(*response.mutable_request(), Detail(tx, r, with_personal_data));
      response.set_created(true);
      return absl::OkStatus();
    });
  };
  absl::Status s = attempt();
  // Two calls with one idempotency key at once: the second finds the first's request.
  if (s.code() == absl::StatusCode::kAlreadyExists && !request.idempotency_key().empty()) s = attempt();
  if (!s.ok()) return s;
  if (response.created()) {
    created_.Add({{"category", category.code}, {"channel", std::string(v1::RequestChannel_Name(request.channel()))}})
        .Increment();
  }
  return response;
}

absl::StatusOr<v1::CreateRequestResponse> RequestBook::AddCaller(const v1::CreateRequestRequest& request,
                                                                 bool with_personal_data) {
  if (auto s = CheckLinkedCall(request, config_); !s.ok()) {
    Rejected(s);
    return s;
  }
  v1::CreateRequestResponse response;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto r = store::Load(tx, request.link_to(), true);
    if (!r) return NotFound(request.link_to());
    if (!IsOpen(r->status())) {
      return absl::FailedPreconditionError(
          absl::StrCat(r->id(), " is closed: create a new request instead of linking to it"));
    }
    const common::TimePoint now = clock_.Now();
    r->set_callers(r->callers() + 1);
    v1::RequestNote note;
    note.set_text(absl::StrCat("Another resident called (", v1::RequestChannel_Name(request.channel()),
                               "): ", request.description()));
    note.set_author(request.recorded_by());
    note.set_public_(false);
    *note.mutable_at() = ToProtoTime(now);
    store::AddNote(tx, r->id(), note);
    if (store::HasPersonalData(request.resident())) store::AddResident(tx, r->id(), request.resident(), now);
    Save(tx, *r, v1::REQUEST_CHANGE_UPDATED);
    CITYOPS_ASSIGN_OR_RETURN(*response.mutable_request(), Detail(tx, *r, with_personal_data));
    response.set_created(false);
    return absl::OkStatus();
  });
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kFailedPrecondition) Rejected(s);
    return s;
  }
  callers_added_.Increment();
  return response;
}

absl::StatusOr<v1::RequestDetail> RequestBook::Get(const std::string& id, bool with_personal_data) {
  CITYOPS_RETURN_IF_ERROR(common::CheckId(id, "id"));
  v1::RequestDetail detail;
  CITYOPS_RETURN_IF_ERROR(pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto r = store::Load(tx, id, false);
    if (!r) return NotFound(id);
    CITYOPS_ASSIGN_OR_RETURN(detail, Detail(tx, *r, with_personal_data));
    return absl::OkStatus();
  }));
  return detail;
}

absl::StatusOr<v1::ListRequestsResponse> RequestBook::List(const v1::ListRequestsRequest& request) {
  store::ListQuery q;
  auto fail = [&](absl::Status s) {
    Rejected(s);
    return s;
  };
  if (!v1::RequestStatus_IsValid(request.status())) return fail(absl::InvalidArgumentError("status: unknown value"));
  q.status = request.status();
  if (!request.category().empty() && config_.Find(request.category()) == nullptr) {
    return fail(absl::InvalidArgumentError(absl::StrCat("category: unknown category \"", request.category(), "\"")));
  }
  q.category = request.category();
  if (request.district() < 0 || request.district() > 1000) {
    return fail(absl::InvalidArgumentError("district: out of range"));
  }
  q.district = request.district();
  if (request.ids_size() > kMaxIds) return fail(absl::InvalidArgumentError("ids: at most 100"));
  for (const auto& id : request.ids()) {
    if (auto s = common::CheckId(id, "ids"); !s.ok()) return fail(s);
    q.ids.push_back(id);
  }
  if (request.has_created_from()) q.created_from = FromProtoTime(request.created_from());
  if (request.has_created_to()) q.created_to = FromProtoTime(request.created_to());
  if (request.has_updated_from()) q.updated_from = FromProtoTime(request.updated_from());
  auto size = common::PageSize(request.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return fail(size.status());
  q.limit = *size;
  auto cursor = common::ParsePageToken(request.page_token(), store::kIdPrefix);
  if (!cursor.ok()) return fail(cursor.status());
  q.after = *cursor;
  std::vector<v1::ResidentRequest> rows;
  CITYOPS_RETURN_IF_ERROR(pool_.WithTransaction([&](pqxx::work& tx) {
    rows = store::List(tx, q);
    return absl::OkStatus();
  }));
  v1::ListRequestsResponse response;
  const bool more = rows.size() > static_cast<size_t>(q.limit);
  if (more) rows.resize(static_cast<size_t>(q.limit));
  for (auto& r : rows) *response.add_requests() = std::move(r);
  if (more) {
    const auto& last = response.requests(response.requests_size() - 1);
    response.set_next_page_token(common::MakePageToken(FromProtoTime(last.created_at()), last.id()));
  }
  return response;
}

absl::StatusOr<v1::RequestDetail> RequestBook::ChangeStatus(const v1::ChangeStatusRequest& request,
                                                            bool with_personal_data) {
  absl::Status check = common::CheckId(request.id(), "id");
  if (check.ok()) check = CheckNote(request.note(), "note", config_);
  if (check.ok() && request.actor().empty()) check = absl::InvalidArgumentError("actor: is required");
  if (check.ok() &&
      (request.status() == v1::REQUEST_STATUS_UNSPECIFIED || !v1::RequestStatus_IsValid(request.status()))) {
    check = absl::InvalidArgumentError("status: must be acknowledged, in_progress, closed or open");
  }
  if (!check.ok()) {
    Rejected(check);
    return check;
  }
  v1::RequestDetail detail;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto r = store::Load(tx, request.id(), true);
    if (!r) return NotFound(request.id());
    CITYOPS_RETURN_IF_ERROR(CheckTransition(r->status(), request.status()));
    Move(tx, *r, request.status(), request.note(), request.actor());
    Save(tx, *r, v1::REQUEST_CHANGE_STATUS_CHANGED);
    CITYOPS_ASSIGN_OR_RETURN(detail, Detail(tx, *r, with_personal_data));
    return absl::OkStatus();
  });
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kFailedPrecondition) Rejected(s);
    return s;
  }
  return detail;
}

absl::StatusOr<v1::RequestDetail> RequestBook::AddNote(const v1::AddNoteRequest& request, bool with_personal_data) {
  absl::Status check = common::CheckId(request.id(), "id");
  if (check.ok()) check = CheckNote(request.text(), "text", config_);
  if (check.ok() && request.author().empty()) check = absl::InvalidArgumentError("author: is required");
  if (!check.ok()) {
    Rejected(check);
    return check;
  }
  v1::RequestDetail detail;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto r = store::Load(tx, request.id(), true);
    if (!r) return NotFound(request.id());
    v1::RequestNote note;
    note.set_text(request.text());
    note.set_author(request.author());
    note.set_public_(request.public_());
    *note.mutable_at() = ToProtoTime(clock_.Now());
    store::AddNote(tx, r->id(), note);
    if (request.public_()) r->set_status_note(request.text());
    Save(tx, *r, v1::REQUEST_CHANGE_UPDATED);
    CITYOPS_ASSIGN_OR_RETURN(detail, Detail(tx, *r, with_personal_data));
    return absl::OkStatus();
  });
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kNotFound) Rejected(s);
    return s;
  }
  return detail;
}

absl::StatusOr<v1::Statistics> RequestBook::Statistics(const v1::GetStatisticsRequest& request) {
  const common::TimePoint now = clock_.Now();
  const common::TimePoint to = request.has_to() ? FromProtoTime(request.to()) : now;
  const common::TimePoint from = request.has_from() ? FromProtoTime(request.from()) : to - std::chrono::hours(24 * 7);
  if (from >= to) {
    absl::Status s = absl::InvalidArgumentError("from: must be before to");
    Rejected(s);
    return s;
  }
  if (to - from > kMaxStatisticsPeriod) {
    absl::Status s = absl::InvalidArgumentError("to: the period is longer than 366 days");
    Rejected(s);
    return s;
  }
  GroupedCounts counts;
  CITYOPS_RETURN_IF_ERROR(pool_.WithTransaction([&](pqxx::work& tx) {
    counts = store::CountRequests(tx, from, to);
    return absl::OkStatus();
  }));
  return Assemble(counts, config_.local_time);
}

size_t RequestBook::ApplyIncidentNews(pqxx::work& tx, const std::vector<IncidentNews>& news) {
  if (news.empty()) return 0;
  std::vector<std::string> ids;
  ids.reserve(news.size());
  for (const auto& n : news) ids.push_back(n.request_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto requests = store::LoadMany(tx, ids);
  size_t changed = 0;
  for (const auto& n : news) {
    auto it = requests.find(n.request_id);
    if (it == requests.end()) continue;
    v1::ResidentRequest& r = it->second;
    LinkState state{r.status(), r.incident_id(), r.linked_to_known_incident()};
    auto change = ChangeFor(state, n);
    if (!change) continue;
    v1::RequestChange kind = v1::REQUEST_CHANGE_UPDATED;
    if (change->incident_id) {
      if (change->known_incident && !r.linked_to_known_incident()) linked_.Increment();
      r.set_incident_id(*change->incident_id);
      r.set_linked_to_known_incident(change->known_incident);
    }
    if (change->status) {
      Move(tx, r, *change->status, change->note, kIncidentActor);
      kind = v1::REQUEST_CHANGE_STATUS_CHANGED;
    }
    Save(tx, r, kind);
    ++changed;
  }
  return changed;
}

absl::StatusOr<int64_t> RequestBook::PurgePersonalData() {
  int64_t n = 0;
  CITYOPS_RETURN_IF_ERROR(pool_.WithTransaction([&](pqxx::work& tx) {
    n = store::PurgePersonalData(tx, PurgeCutoff(clock_.Now(), config_.retention));
    return absl::OkStatus();
  }));
  purged_.Increment(static_cast<double>(n));
  return n;
}

absl::Status RequestBook::RefreshGauges() {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    const auto row = tx.exec1(
        "SELECT count(*) FILTER (WHERE linked_known), count(*) FROM requests "
        "WHERE created_at >= now() - interval '24 hours'");
    const auto total = row[1].as<int64_t>();
    linked_share_.Set(total == 0 ? 0.0 : static_cast<double>(row[0].as<int64_t>()) / static_cast<double>(total));
    return absl::OkStatus();
  });
}

}  // namespace cityops::calls
