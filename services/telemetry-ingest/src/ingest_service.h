#pragma once

#include "asset_registry.h"
#include "cityops/common/pg.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"
#include "readings_intake.h"

namespace cityops::telemetry {

// The gRPC edge: maps requests to the registry and the intake, and Status to grpc::Status.
class IngestService final : public v1::TelemetryIngest::Service {
 public:
  IngestService(AssetRegistry& registry, ReadingsIntake& intake, common::PgPool& pool, size_t max_inflight_batches,
                ValidationLimits limits);

  grpc::Status RegisterAsset(grpc::ServerContext*, const v1::RegisterAssetRequest*, v1::Asset*) override;
  grpc::Status RegisterAssets(grpc::ServerContext*, const v1::RegisterAssetsRequest*,
                              v1::RegisterAssetsResponse*) override;
  grpc::Status UpdateAsset(grpc::ServerContext*, const v1::UpdateAssetRequest*, v1::Asset*) override;
  grpc::Status RetireAsset(grpc::ServerContext*, const v1::RetireAssetRequest*, v1::Asset*) override;
  grpc::Status GetAsset(grpc::ServerContext*, const v1::GetAssetRequest*, v1::Asset*) override;
  grpc::Status ListAssets(grpc::ServerContext*, const v1::ListAssetsRequest*, v1::ListAssetsResponse*) override;
  grpc::Status StreamReadings(grpc::ServerContext*,
                              grpc::ServerReaderWriter<v1::BatchAck, v1::ReadingBatch>* stream) override;
  grpc::Status ReportFault(grpc::ServerContext*, const v1::ReportFaultRequest*, v1::ReportFaultResponse*) override;
  grpc::Status GetAssetState(grpc::ServerContext*, const v1::GetAssetStateRequest*, v1::AssetState*) override;
  grpc::Status GetReadingHistory(grpc::ServerContext*, const v1::GetReadingHistoryRequest*,
                                 v1::GetReadingHistoryResponse*) override;

 private:
  AssetRegistry& registry_;
  ReadingsIntake& intake_;
  common::PgPool& pool_;
  size_t max_inflight_batches_;
  ValidationLimits limits_;
};

}  // namespace cityops::telemetry
