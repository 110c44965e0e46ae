#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::telemetry {

absl::StatusOr<IngestSettings> LoadSettings(const common::Config& config) {
  IngestSettings s;
  const common::ServiceDefaults defaults{.name = std::string(kServiceName),
                                         .grpc_address = "127.0.0.1:50051",
                                         .metrics_address = "127.0.0.1:9101",
                                         .pg_schema = "telemetry_ingest",
                                         .pg_pool_size = 6,
                                         .consumer_group = "telemetry-ingest"};
  CITYOPS_ASSIGN_OR_RETURN(s.service, common::LoadServiceSettings(config, defaults));
  s.normal_ranges_file = config.GetString("normal-ranges-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.min_lat, config.GetDouble("city-min-lat", s.bounds.min_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.max_lat, config.GetDouble("city-max-lat", s.bounds.max_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.min_lon, config.GetDouble("city-min-lon", s.bounds.min_lon));
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.max_lon, config.GetDouble("city-max-lon", s.bounds.max_lon));
  int64_t districts = 0;
  CITYOPS_ASSIGN_OR_RETURN(districts, config.GetInt("city-districts", s.bounds.districts));
  s.bounds.districts = static_cast<int>(districts);
  CITYOPS_ASSIGN_OR_RETURN(s.delivery_timeout, config.GetDuration("delivery-timeout", s.delivery_timeout));
  CITYOPS_ASSIGN_OR_RETURN(s.max_inflight_batches, config.GetInt("max-inflight-batches", s.max_inflight_batches));
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  CITYOPS_ASSIGN_OR_RETURN(s.silence_scan_interval,
                           config.GetDuration("silence-scan-interval", s.silence_scan_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.history_retention_days, config.GetInt("history-retention-days", s.history_retention_days));

  if (s.max_inflight_batches < 1 || s.apply_batch < 1) {
    return absl::InvalidArgumentError("max-inflight-batches and apply-batch must be positive");
  }
  // Readings up to 7 days old are accepted and partitions are kept 8 days back.
  if (s.history_retention_days < 8) {
    return absl::InvalidArgumentError(
        "history-retention-days must be at least 8 (readings up to 7 days old are accepted)");
  }
  if (!(s.bounds.min_lat < s.bounds.max_lat && s.bounds.min_lon < s.bounds.max_lon)) {
    return absl::InvalidArgumentError("city bounds are empty (min must be below max)");
  }
  return s;
}

}  // namespace cityops::telemetry
