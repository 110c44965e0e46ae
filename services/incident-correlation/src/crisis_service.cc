#include "crisis_service.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

constexpr size_t kMaxActor = 128;
constexpr size_t kMaxText = 2000;
constexpr int kMaxDistricts = 1000;

absl::Status CheckText(const std::string& value, const char* field, bool required, size_t max) {
  if (required && value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > max) return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", max, " bytes"));
  return absl::OkStatus();
}

absl::Status CheckId(const std::string& id, const char* field) {
  if (auto s = CheckText(id, field, true, 64); !s.ok()) return s;
  return absl::OkStatus();
}

template <typename Repeated>
std::vector<int> Districts(const Repeated& districts) {
  return {districts.begin(), districts.end()};
}

// Checks shared by the commands: the actor, a note or reason, the districts' count.
absl::Status CheckCommand(const std::string& actor, const std::string& note, int districts) {
  if (auto s = CheckText(actor, "actor", true, kMaxActor); !s.ok()) return s;
  if (auto s = CheckText(note, "note", false, kMaxText); !s.ok()) return s;
  if (districts > kMaxDistricts) return absl::InvalidArgumentError("districts: too many");
  return absl::OkStatus();
}

}  // namespace

grpc::Status CrisisService::Run(const std::string& id, const IncidentDesk::CrisisCommand& command, v1::Crisis* out) {
  auto crisis = desk_.ExecuteCrisis(id, command);
  if (!crisis.ok()) return common::ToGrpcStatus(crisis.status());
  *out = std::move(*crisis);
  return grpc::Status::OK;
}

grpc::Status CrisisService::ListPlaybooks(grpc::ServerContext*, const v1::ListPlaybooksRequest*,
                                          v1::ListPlaybooksResponse* response) {
  for (const auto& p : desk_.playbooks().list) *response->add_playbooks() = p.ToProto();
  return grpc::Status::OK;
}

grpc::Status CrisisService::ProposeCrisis(grpc::ServerContext*, const v1::ProposeCrisisRequest* r, v1::Crisis* out) {
  if (auto s = CheckCommand(r->actor(), r->reason(), r->districts_size()); !s.ok()) return common::ToGrpcStatus(s);
  if (auto s = CheckText(r->playbook(), "playbook", true, 64); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      {},
      [&](CrisisBook& book, Correlator&, Changes&, CrisisChanges& out_changes, common::TimePoint now) {
        return book.Propose(r->playbook(), Districts(r->districts()), r->actor(), r->reason(), now, out_changes);
      },
      out);
}

grpc::Status CrisisService::DeclareCrisis(grpc::ServerContext*, const v1::DeclareCrisisRequest* r, v1::Crisis* out) {
  if (auto s = CheckCommand(r->actor(), r->note(), r->districts_size()); !s.ok()) return common::ToGrpcStatus(s);
  if (r->crisis_id().empty() && r->playbook().empty()) {
    return common::ToGrpcStatus(absl::InvalidArgumentError("crisis_id (a proposal) or playbook is required"));
  }
  if (auto s = CheckText(r->crisis_id(), "crisis_id", false, 64); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->crisis_id(),
      [&](CrisisBook& book, Correlator& correlator, Changes& changes, CrisisChanges& out_changes,
          common::TimePoint now) { return book.Declare(*r, now, correlator, changes, out_changes); },
      out);
}

grpc::Status CrisisService::DismissProposal(grpc::ServerContext*, const v1::DismissProposalRequest* r,
                                            v1::Crisis* out) {
  if (auto s = CheckCommand(r->actor(), r->note(), 0); !s.ok()) return common::ToGrpcStatus(s);
  if (auto s = CheckId(r->crisis_id(), "crisis_id"); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->crisis_id(),
      [&](CrisisBook& book, Correlator&, Changes&, CrisisChanges& out_changes,
          common::TimePoint now) -> absl::StatusOr<std::string> {
        if (auto s = book.Dismiss(r->crisis_id(), r->actor(), r->note(), now, out_changes); !s.ok()) return s;
        return r->crisis_id();
      },
      out);
}

grpc::Status CrisisService::ChangeCrisisScope(grpc::ServerContext*, const v1::ChangeCrisisScopeRequest* r,
                                              v1::Crisis* out) {
  if (auto s = CheckCommand(r->actor(), r->note(), r->districts_size()); !s.ok()) return common::ToGrpcStatus(s);
  if (auto s = CheckId(r->crisis_id(), "crisis_id"); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->crisis_id(),
      [&](CrisisBook& book, Correlator& correlator, Changes& changes, CrisisChanges& out_changes,
          common::TimePoint now) -> absl::StatusOr<std::string> {
        if (auto s = book.ChangeScope(r->crisis_id(), Districts(r->districts()), r->actor(), r->note(), now, correlator,
                                      changes, out_changes);
            !s.ok()) {
          return s;
        }
        return r->crisis_id();
      },
      out);
}

grpc::Status CrisisService::EndCrisis(grpc::ServerContext*, const v1::EndCrisisRequest* r, v1::Crisis* out) {
  if (auto s = CheckCommand(r->actor(), r->note(), 0); !s.ok()) return common::ToGrpcStatus(s);
  if (auto s = CheckId(r->crisis_id(), "crisis_id"); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->crisis_id(),
      [&](CrisisBook& book, Correlator& correlator, Changes& changes, CrisisChanges& out_changes,
          common::TimePoint now) -> absl::StatusOr<std::string> {
        if (auto s = book.End(r->crisis_id(), r->actor(), r->note(), now, correlator, changes, out_changes); !s.ok()) {
          return s;
        }
        return r->crisis_id();
      },
      out);
}

grpc::Status CrisisService::GetCrisis(grpc::ServerContext*, const v1::GetCrisisRequest* r, v1::Crisis* out) {
  if (auto s = CheckId(r->id(), "id"); !s.ok()) return common::ToGrpcStatus(s);
  auto crisis = desk_.GetCrisis(r->id());
  if (!crisis.ok()) return common::ToGrpcStatus(crisis.status());
  *out = std::move(*crisis);
  return grpc::Status::OK;
}

grpc::Status CrisisService::ListCrises(grpc::ServerContext*, const v1::ListCrisesRequest* r,
                                       v1::ListCrisesResponse* out) {
  auto query = MakeCrisisListQuery(*r);
  if (!query.ok()) return common::ToGrpcStatus(query.status());
  auto page = store_.List(*query);
  if (!page.ok()) return common::ToGrpcStatus(page.status());
  *out = std::move(*page);
  return grpc::Status::OK;
}

}  // namespace cityops::incidents
