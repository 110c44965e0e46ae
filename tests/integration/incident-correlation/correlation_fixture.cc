#include "correlation_fixture.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"

namespace cityops::testing {

namespace {
int event_number = 0;

std::string RulesWithShortHold(const std::string& path) {
  std::ifstream in(SourcePath("services/incident-correlation/config/rules.json"));
  std::stringstream text;
  text << in.rdbuf();
  std::string rules = text.str();
  const std::string from = "\"resolve_hold_s\": 30";
  const auto at = rules.find(from);
  REQUIRE(at != std::string::npos);
  rules.replace(at, from.size(), "\"resolve_hold_s\": 1");
  std::ofstream(path) << rules;
  return path;
}

std::vector<std::string> WithRules(std::vector<std::string> args, const std::string& rules_path) {
  args.insert(args.begin(), {"--rules-file=" + rules_path, "--tick-interval=200ms"});
  return args;
}
}  // namespace

CorrelationFixture::CorrelationFixture(std::vector<std::string> extra_args)
    : ServiceFixture(INCIDENT_CORRELATION_BINARY, "ic",
                     WithRules(std::move(extra_args), RulesWithShortHold("/tmp/" + UniqueName("rules") + ".json"))) {
  const std::string flag = "--rules-file=";
  for (const auto& arg : Args()) {
    if (arg.rfind(flag, 0) == 0) rules_path_ = arg.substr(flag.size());
  }
  Start();
}

CorrelationFixture::~CorrelationFixture() {
  stub_.reset();
  std::remove(rules_path_.c_str());
}

void CorrelationFixture::OnStarted() {
  stub_ = iv1::IncidentCorrelation::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

void CorrelationFixture::PublishAssets(const std::vector<tv1::Asset>& assets) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (const auto& a : assets) {
    tv1::AssetEvent e;
    e.mutable_meta()->set_event_id("asset-" + a.id() + "-" + std::to_string(a.version()));
    e.set_change(tv1::ASSET_CHANGE_REGISTERED);
    *e.mutable_asset() = a;
    messages.emplace_back(a.id(), e.SerializeAsString());
  }
  PublishMany(topics::kTelemetryAssets, messages);
}

void CorrelationFixture::PublishFaults(const std::vector<tv1::FaultEvent>& faults) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (const auto& f : faults) messages.emplace_back(f.asset_id(), f.SerializeAsString());
  PublishMany(topics::kTelemetryFaults, messages);
}

std::vector<iv1::Incident> CorrelationFixture::List(const iv1::IncidentFilter& filter) {
  std::vector<iv1::Incident> all;
  std::string token;
  do {
    iv1::ListIncidentsRequest request;
    *request.mutable_filter() = filter;
    request.set_page_size(500);
    request.set_page_token(token);
    iv1::ListIncidentsResponse response;
    grpc::ClientContext context;
    const auto status = stub_->ListIncidents(&context, request, &response);
    REQUIRE(status.ok());
    all.insert(all.end(), response.incidents().begin(), response.incidents().end());
    token = response.next_page_token();
  } while (!token.empty());
  return all;
}

std::vector<iv1::Incident> CorrelationFixture::WaitUntil(
    const std::function<bool(const std::vector<iv1::Incident>&)>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto incidents = List();
    if (done(incidents) || std::chrono::steady_clock::now() > deadline) return incidents;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool CorrelationFixture::WaitForApplied(int count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (std::stoi(Scalar("SELECT count(*) FROM applied_events")) >= count) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

tv1::Asset PlainAsset(const std::string& id, tv1::AssetKind kind, double lat, double lon) {
  tv1::Asset a;
  a.set_id(id);
  a.set_kind(kind);
  a.set_district(4);
  a.mutable_location()->set_lat(lat);
  a.mutable_location()->set_lon(lon);
  a.set_reporting_interval_s(60);
  a.set_version(1);
  return a;
}

tv1::Asset CabinetAsset(const std::string& id, double lat, double lon) {
  return PlainAsset(id, tv1::ASSET_KIND_CONTROL_CABINET, lat, lon);
}

tv1::Asset LampAsset(const std::string& cabinet, int i, double lat, double lon) {
  tv1::Asset a = PlainAsset(cabinet + "-lp-" + std::to_string(i), tv1::ASSET_KIND_LIGHT_POINT, lat + 0.0002 * i, lon);
  a.set_parent_id(cabinet);
  return a;
}

tv1::FaultEvent FaultFor(const tv1::Asset& asset, tv1::FaultType type, common::TimePoint at, bool raised) {
  tv1::FaultEvent e;
  e.mutable_meta()->set_event_id("fault-" + std::to_string(++event_number) + "-" + UniqueName("e"));
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(std::chrono::system_clock::now());
  e.mutable_meta()->set_producer("test");
  e.set_asset_id(asset.id());
  e.set_asset_kind(asset.kind());
  e.set_parent_id(asset.parent_id());
  e.set_district(asset.district());
  *e.mutable_location() = asset.location();
  e.set_type(type);
  e.set_state(raised ? tv1::FAULT_STATE_RAISED : tv1::FAULT_STATE_CLEARED);
  e.set_source(tv1::FAULT_SOURCE_SELF_REPORTED);
  *e.mutable_at() = common::ToProtoTime(at);
  return e;
}

calls::v1::RequestEvent RequestAt(const std::string& id, const std::string& category, double lat, double lon,
                                  common::TimePoint at) {
  calls::v1::RequestEvent e;
  e.mutable_meta()->set_event_id("request-" + id + "-" + UniqueName("e"));
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(at);
  e.set_change(calls::v1::REQUEST_CHANGE_CREATED);
  auto* r = e.mutable_request();
  r->set_id(id);
  r->set_category(category);
  r->mutable_location()->set_lat(lat);
  r->mutable_location()->set_lon(lon);
  r->set_district(4);
  r->set_status(calls::v1::REQUEST_STATUS_OPEN);
  *r->mutable_created_at() = common::ToProtoTime(at);
  return e;
}

std::vector<iv1::IncidentEvent> IncidentEventsOnTopic(const std::string& topic) {
  std::vector<iv1::IncidentEvent> events;
  for (const auto& m : ConsumeAll(topic)) {
    iv1::IncidentEvent e;
    REQUIRE(e.ParseFromString(m.value));
    CHECK(m.key == e.incident().id());
    events.push_back(e);
  }
  return events;
}

}  // namespace cityops::testing
