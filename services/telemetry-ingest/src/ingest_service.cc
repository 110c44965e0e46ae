#include "ingest_service.h"

#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "asset_codec.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::telemetry {

namespace {

constexpr const char* kSelectState = "SELECT state FROM asset_state WHERE asset_id = $1";
constexpr const char* kSelectHistory =
    "SELECT (extract(epoch from ts) * 1000000)::int8, value FROM readings WHERE asset_id = $1 AND metric = $2 "
    "AND ts >= $3::timestamptz AND ts < $4::timestamptz ORDER BY ts LIMIT $5";

template <typename T>
grpc::Status Reply(const absl::StatusOr<T>& result, T* out) {
  if (!result.ok()) return common::ToGrpcStatus(result.status());
  *out = *result;
  return grpc::Status::OK;
}

grpc::Status Invalid(const std::string& message) { return {grpc::StatusCode::INVALID_ARGUMENT, message}; }

}  // namespace

IngestService::IngestService(AssetRegistry& registry, ReadingsIntake& intake, common::PgPool& pool,
                             size_t max_inflight_batches, ValidationLimits limits)
    : registry_(registry), intake_(intake), pool_(pool), max_inflight_batches_(max_inflight_batches), limits_(limits) {}

grpc::Status IngestService::RegisterAsset(grpc::ServerContext*, const v1::RegisterAssetRequest* request,
                                          v1::Asset* response) {
  return Reply(registry_.Register(request->asset()), response);
}

grpc::Status IngestService::RegisterAssets(grpc::ServerContext*, const v1::RegisterAssetsRequest* request,
                                           v1::RegisterAssetsResponse* response) {
  std::vector<v1::Asset> assets(request->assets().begin(), request->assets().end());
  return Reply(registry_.RegisterMany(assets), response);
}

grpc::Status IngestService::UpdateAsset(grpc::ServerContext*, const v1::UpdateAssetRequest* request,
                                        v1::Asset* response) {
  return Reply(registry_.Update(request->asset()), response);
}

grpc::Status IngestService::RetireAsset(grpc::ServerContext*, const v1::RetireAssetRequest* request,
                                        v1::Asset* response) {
  if (request->id().empty() || request->id().size() > limits_.max_id) return Invalid("id must be 1 to 64 characters");
  return Reply(registry_.Retire(request->id()), response);
}

grpc::Status IngestService::GetAsset(grpc::ServerContext*, const v1::GetAssetRequest* request, v1::Asset* response) {
  if (request->id().empty() || request->id().size() > limits_.max_id) return Invalid("id must be 1 to 64 characters");
  return Reply(registry_.Get(request->id()), response);
}

grpc::Status IngestService::ListAssets(grpc::ServerContext*, const v1::ListAssetsRequest* request,
                                       v1::ListAssetsResponse* response) {
  return Reply(registry_.List(*request), response);
}

grpc::Status IngestService::StreamReadings(grpc::ServerContext* context,
                                           grpc::ServerReaderWriter<v1::BatchAck, v1::ReadingBatch>* stream) {
  // Batches are pipelined: this thread reads and publishes, a writer thread
  // answers each batch, in order, as soon as Kafka confirmed it. At most
  // max_inflight_batches wait for an answer; reading pauses beyond that.
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<ReadingsIntake::Pending> inflight;
  bool reading_done = false;
  bool writer_failed = false;

  std::thread writer([&] {
    for (;;) {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return !inflight.empty() || reading_done; });
      if (inflight.empty()) return;  // reading done and everything answered
      ReadingsIntake::Pending pending = std::move(inflight.front());
      lock.unlock();
      auto ack = intake_.Complete(pending);  // waits for Kafka
      const bool written = stream->Write(ack);
      lock.lock();
      inflight.pop_front();
      if (!written) writer_failed = true;
      cv.notify_all();
      if (writer_failed) return;
    }
  });

  v1::ReadingBatch batch;
  grpc::Status result = grpc::Status::OK;
  try {
    while (stream->Read(&batch)) {
      auto pending = intake_.Submit(batch);
      std::unique_lock lock(mutex);
      inflight.push_back(std::move(pending));
      cv.notify_all();
      cv.wait(lock, [&] { return inflight.size() < max_inflight_batches_ || writer_failed; });
      if (writer_failed || context->IsCancelled()) break;
    }
  } catch (const std::exception& e) {
    // The writer still answers what was submitted; the stream then ends with the error.
    result = grpc::Status(grpc::StatusCode::INTERNAL, std::string("reading the stream failed: ") + e.what());
  }
  {
    std::lock_guard lock(mutex);
    reading_done = true;
  }
  cv.notify_all();
  writer.join();
  if (writer_failed) return {grpc::StatusCode::CANCELLED, "client went away"};
  return result;
}

grpc::Status IngestService::ReportFault(grpc::ServerContext*, const v1::ReportFaultRequest* request,
                                        v1::ReportFaultResponse* response) {
  auto id = intake_.ReportFault(request->report());
  if (!id.ok()) return common::ToGrpcStatus(id.status());
  response->set_record_id(*id);
  return grpc::Status::OK;
}

grpc::Status IngestService::GetAssetState(grpc::ServerContext*, const v1::GetAssetStateRequest* request,
                                          v1::AssetState* response) {
  if (request->asset_id().empty() || request->asset_id().size() > limits_.max_id) {
    return Invalid("asset_id must be 1 to 64 characters");
  }
  absl::StatusOr<v1::AssetState> state =
      absl::NotFoundError(absl::StrCat("asset ", request->asset_id(), " is not registered"));
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(kSelectState, request->asset_id());
    if (!rows.empty()) state = StateFromJson(rows[0][0].c_str());
    return absl::OkStatus();
  });
  if (!status.ok()) return common::ToGrpcStatus(status);
  return Reply(state, response);
}

grpc::Status IngestService::GetReadingHistory(grpc::ServerContext*, const v1::GetReadingHistoryRequest* request,
                                              v1::GetReadingHistoryResponse* response) {
  if (request->asset_id().empty() || request->asset_id().size() > limits_.max_id) {
    return Invalid("asset_id must be 1 to 64 characters");
  }
  if (request->metric().empty() || request->metric().size() > limits_.max_metric) {
    return Invalid("metric must be 1 to 64 characters");
  }
  if (!request->has_from() || !request->has_to()) return Invalid("from and to are required");
  const auto from = common::FromProtoTime(request->from());
  const auto to = common::FromProtoTime(request->to());
  if (!(from < to)) return Invalid("from must be before to");
  if (request->limit() < 0 || request->limit() > 10000) return Invalid("limit must be within 0..10000");
  const int limit = request->limit() == 0 ? 1000 : request->limit();
  if (!registry_.Facts(request->asset_id())) {
    registry_.Prefetch({request->asset_id()});
    if (!registry_.Facts(request->asset_id())) {
      return {grpc::StatusCode::NOT_FOUND, absl::StrCat("asset ", request->asset_id(), " is not registered")};
    }
  }
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(kSelectHistory, request->asset_id(), request->metric(), common::ToPgTimestamp(from),
                               common::ToPgTimestamp(to), limit + 1);
    for (const auto& row : rows) {
      if (response->readings_size() == limit) {
        response->set_truncated(true);
        break;
      }
      auto* r = response->add_readings();
      r->set_asset_id(request->asset_id());
      r->set_metric(request->metric());
      *r->mutable_time() = common::ToProtoTime(common::FromEpochMicros(row[0].as<int64_t>()));
      r->set_value(row[1].as<double>());
    }
    return absl::OkStatus();
  });
  return common::ToGrpcStatus(status);
}

}  // namespace cityops::telemetry
