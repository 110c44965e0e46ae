#include "call_agent.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/proto_time.h"

namespace cityops::sim {

namespace cv1 = calls::v1;

namespace {

// Requests updated this long before the previous poll are asked for again: a
// change committed a moment after it was stamped is not missed (the versions
// tell what was seen already).
constexpr auto kPollOverlap = std::chrono::seconds(10);
constexpr int kPageSize = 500;
constexpr int kMaxPages = 20;

std::string StatusLabel(cv1::RequestStatus status) {
  std::string name = cv1::RequestStatus_Name(status);
  const std::string prefix = "REQUEST_STATUS_";
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return name;
}

bool Retryable(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

CallAgent::CallAgent(const std::shared_ptr<grpc::Channel>& channel, const CallLine& line,
                     std::vector<ResidentCall> scenario_calls, CallAgentSettings settings, Print print)
    : stub_(cv1::ResidentCalls::NewStub(channel)),
      line_(line),
      scenario_calls_(std::move(scenario_calls)),
      settings_(std::move(settings)),
      print_(std::move(print)) {}

CallAgent::~CallAgent() { Stop(); }

void CallAgent::Start(std::chrono::steady_clock::time_point origin) {
  if (thread_.joinable()) return;
  thread_ = std::thread([this, origin] { Run(origin); });
}

void CallAgent::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CallAgent::Refresh() {
  if (thread_.joinable()) return;  // still running: its own polls count
  // Poll stops paging once stop_ is set: let it page for this one.
  stop_ = false;
  Poll();
  stop_ = true;
}

CallStats CallAgent::stats() const {
  CallStats s;
  s.placed = placed_.load();
  s.received = received_.load();
  s.sent = s.received;
  s.rejected = rejected_.load();
  s.failed = failed_.load();
  s.linked = linked_.load();
  s.linked_to_known = linked_to_known_.load();
  s.closed = closed_.load();
  return s;
}

bool CallAgent::SleepUntil(std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, until, [this] { return stop_.load(); });
  return !stop_.load();
}

void CallAgent::Run(std::chrono::steady_clock::time_point origin) {
  last_poll_ = std::chrono::system_clock::now();
  if (!scenario_calls_.empty()) {
    std::vector<std::string> when;
    when.reserve(scenario_calls_.size());
    for (const auto& call : scenario_calls_) {
      when.push_back(absl::StrCat("+", std::chrono::duration_cast<std::chrono::seconds>(call.at).count(), " s"));
    }
    print_(absl::StrCat("scenario: ", scenario_calls_.size(), " residents near ", scenario_calls_.front().about,
                        " will call ", scenario_calls_.front().category, " at ", absl::StrJoin(when, ", ")));
  }

  const bool have_next = line_.enabled();
  ResidentCall next;
  if (have_next) next = line_.Next();
  size_t next_scenario = 0;
  auto next_poll = std::chrono::steady_clock::now() + settings_.poll_every;

  while (!stop_.load()) {
    const auto now = std::chrono::steady_clock::now();
    while (!stop_.load() && next_scenario < scenario_calls_.size() &&
           origin + scenario_calls_[next_scenario].at <= now) {
      Place(scenario_calls_[next_scenario++]);
    }
    while (!stop_.load() && have_next && origin + next.at <= now) {
      Place(next);
      next = line_.Next();
    }
    if (stop_.load()) break;
    if (std::chrono::steady_clock::now() >= next_poll) {
      Poll();
      next_poll = std::chrono::steady_clock::now() + settings_.poll_every;
    }
    auto wake = next_poll;
    if (next_scenario < scenario_calls_.size()) wake = std::min(wake, origin + scenario_calls_[next_scenario].at);
    if (have_next)
      wake = std::min(wake, origin + std::chrono::duration_cast<std::chrono::steady_clock::duration>(next.at));
    if (!SleepUntil(wake)) break;
  }
}

void CallAgent::Place(const ResidentCall& call) {
  const std::string key =
      call.number > 0 ? absl::StrCat("city-sim-", settings_.run_id, "-", call.number)
                      : absl::StrCat("city-sim-", settings_.run_id, "-scenario-", call.about, "-", call.at.count());
  const cv1::CreateRequestRequest request = ToCreateRequest(call, settings_.recorded_by, key);
  const std::string what =
      absl::StrCat(call.category, " district ", call.district, " (", std::string(ChannelName(call.channel)), ")");
  grpc::Status status;
  cv1::CreateRequestResponse response;
  ++placed_;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + settings_.deadline);
    context.AddMetadata("cityops-role", settings_.role);
    response.Clear();
    status = stub_->CreateRequest(&context, request, &response);
    if (status.ok() || !Retryable(status) || attempt >= settings_.retries) break;
    if (!SleepUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(500 << attempt))) break;
  }
  if (!status.ok()) {
    if (Retryable(status) || status.error_code() == grpc::StatusCode::CANCELLED) {
      ++failed_;
      spdlog::warn("resident call not placed ({}): {}", what, status.error_message());
    } else {
      ++rejected_;
      print_(absl::StrCat("REJECTED ", what, ": ", status.error_message()));
    }
    return;
  }
  const cv1::ResidentRequest& created = response.request().request();
  ++received_;
  Tracked tracked;
  tracked.category = created.category();
  tracked.status = created.status();
  tracked.version = created.version();
  tracked_[created.id()] = tracked;
  print_(absl::StrCat("CREATED ", created.id(), " ", created.category(), " district ", created.district(), " (",
                      std::string(ChannelName(created.channel())), ")",
                      call.about.empty() ? "" : absl::StrCat(", near ", call.about, " (scenario)"),
                      response.created() ? "" : " [already recorded]"));
  // Linked or closed already (a retried key): tell it now.
  Follow(created);
}

void CallAgent::Poll() {
  if (tracked_.empty()) {
    last_poll_ = std::chrono::system_clock::now();
    return;
  }
  const auto started = std::chrono::system_clock::now();
  cv1::ListRequestsRequest request;
  *request.mutable_updated_from() = common::ToProtoTime(last_poll_ - kPollOverlap);
  request.set_page_size(kPageSize);
  for (int page = 0; page < kMaxPages && !stop_.load(); ++page) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + settings_.deadline);
    context.AddMetadata("cityops-role", settings_.role);
    cv1::ListRequestsResponse response;
    const grpc::Status status = stub_->ListRequests(&context, request, &response);
    if (!status.ok()) {
      // Resident calls restarting: the next poll asks again from the same time.
      if (status.error_message() != last_poll_error_) {
        spdlog::warn("resident calls: ListRequests: {}", status.error_message());
        last_poll_error_ = status.error_message();
      }
      return;
    }
    last_poll_error_.clear();
    for (const auto& r : response.requests()) Follow(r);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  last_poll_ = started;
}

void CallAgent::Follow(const cv1::ResidentRequest& request) {
  const auto it = tracked_.find(request.id());
  if (it == tracked_.end()) return;  // not ours, or closed already
  Tracked& t = it->second;
  if (request.version() < t.version) return;
  t.version = request.version();
  if (!request.incident_id().empty() && request.incident_id() != t.incident_id) {
    t.incident_id = request.incident_id();
    if (!t.counted_linked) {
      t.counted_linked = true;
      ++linked_;
      if (request.linked_to_known_incident()) ++linked_to_known_;
    }
    print_(absl::StrCat("LINKED ", request.id(), " to ", request.incident_id(),
                        request.linked_to_known_incident() ? " (known incident)" : " (new incident)"));
  }
  if (request.status() == t.status) return;
  t.status = request.status();
  if (request.status() == cv1::REQUEST_STATUS_CLOSED) {
    ++closed_;
    print_(absl::StrCat("CLOSED ", request.id(), ": ", request.status_note()));
    tracked_.erase(it);
    return;
  }
  print_(absl::StrCat(StatusLabel(request.status()), " ", request.id(), ": ", request.status_note()));
}

}  // namespace cityops::sim
