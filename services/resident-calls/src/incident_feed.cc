#include "incident_feed.h"

#include <spdlog/spdlog.h>

#include "cityops/common/inbox.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "domain/incident_links.h"

namespace cityops::calls {

namespace {

prometheus::Counter& MakeCounter(prometheus::Registry& metrics, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(metrics).Add({});
}

// Applied ids are forgotten after the topics' retention.
constexpr auto kAppliedKept = std::chrono::hours(24 * 8);

}  // namespace

IncidentFeed::IncidentFeed(common::PgPool& pool, RequestBook& book, std::string incidents_topic,
                           prometheus::Registry& metrics)
    : pool_(pool),
      book_(book),
      topic_(std::move(incidents_topic)),
      applied_(MakeCounter(metrics, "cityops_resident_calls_incident_events_applied_total", "Incident events applied")),
      replayed_(MakeCounter(metrics, "cityops_resident_calls_incident_events_replayed_total",
                            "Incident events seen again and skipped (applied before)")),
      dead_letters_(MakeCounter(metrics, "cityops_resident_calls_dead_letters_total",
                                "Messages set aside in dead_letters (undecodable or incomplete)")),
      requests_changed_(MakeCounter(metrics, "cityops_resident_calls_requests_followed_incident_total",
                                    "Request changes that followed their incident (link, progress, closing)")) {}

absl::StatusOr<size_t> IncidentFeed::Apply(const std::vector<common::ConsumedMessage>& messages) {
  common::RejectedMessages rejected;
  const auto events = common::DecodeEvents<incidents::v1::IncidentEvent>(
      messages, topic_, "incident event",
      [](const incidents::v1::IncidentEvent& e) { return e.incident().id().empty() ? "no incident id" : ""; },
      rejected);
  size_t applied = 0;
  size_t replayed = 0;
  size_t changed = 0;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    rejected.SetAside(tx);
    const auto fresh = common::FreshEvents(tx, events, replayed);
    std::vector<IncidentNews> news;
    for (const auto* in : fresh) {
      auto more = NewsOf(in->event);
      news.insert(news.end(), more.begin(), more.end());
    }
    applied = fresh.size();
    changed = book_.ApplyIncidentNews(tx, news);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  rejected.Log();
  dead_letters_.Increment(static_cast<double>(rejected.size()));
  applied_.Increment(static_cast<double>(applied));
  replayed_.Increment(static_cast<double>(replayed));
  requests_changed_.Increment(static_cast<double>(changed));
  return applied;
}

absl::Status IncidentFeed::Tick() { return book_.RefreshGauges(); }

void IncidentFeed::Housekeeping() {
  auto purged = book_.PurgePersonalData();
  if (!purged.ok()) {
    spdlog::error("personal data purge failed: {}", purged.status().ToString());
  } else if (*purged > 0) {
    spdlog::info("personal data of {} closed request(s) deleted (retention over)", *purged);
  }
  auto pruned = common::Inbox::PruneApplied(pool_, std::chrono::system_clock::now() - kAppliedKept);
  if (!pruned.ok()) spdlog::warn("pruning applied events failed: {}", pruned.status().ToString());
}

}  // namespace cityops::calls
