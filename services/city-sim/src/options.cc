#include "options.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"

namespace cityops::sim {

const char* const kUsage =
    "usage: city-sim [--seed N] [--scale X] [--speed K] [--scenario none|NAME|FILE.json]\n"
    "                [--scenario-dir DIR] [--list-scenarios] [--fault-asset ASSET_ID]\n"
    "                [--ingest-address 127.0.0.1:50051] [--kafka-bootstrap 127.0.0.1:19092]\n"
    "                [--dispatch-address HOST:PORT (crews; none when empty)]\n"
    "                [--lighting-address HOST:PORT (light points obey its commands; none when empty)]\n"
    "                [--calls-address 127.0.0.1:50055 (residents call resident-calls; none when empty)]\n"
    "                [--calls-per-day 600 (sped up by --speed; 0: only the scenario's calls)]\n"
    "                [--topic-prefix P] [--watch-faults true|false] [--register-only true]\n"
    "                [--duration 0] [--log-every 10s] [--batch-max 5000] [--log-level info]\n"
    "                [--report FILE (JSON report of what the platform did, written when the\n"
    "                 simulator stops and on SIGUSR2; its table printed on stdout)]\n"
    "Each flag can also be given as CITYOPS_<NAME> (CITYOPS_KAFKA_BOOTSTRAP...).\n";

absl::StatusOr<SimOptions> LoadOptions(const common::Config& config) {
  SimOptions o;
  int64_t seed = 1;
  CITYOPS_ASSIGN_OR_RETURN(seed, config.GetInt("seed", 1));
  o.city.seed = static_cast<uint64_t>(seed);
  CITYOPS_ASSIGN_OR_RETURN(o.city.scale, config.GetDouble("scale", o.city.scale));
  CITYOPS_ASSIGN_OR_RETURN(o.speed, config.GetDouble("speed", o.speed));
  o.ingest_address = config.GetString("ingest-address", o.ingest_address);
  o.kafka_bootstrap = config.GetString("kafka-bootstrap", o.kafka_bootstrap);
  o.dispatch_address = config.GetString("dispatch-address", "");
  o.lighting_address = config.GetString("lighting-address", "");
  o.calls_address = config.GetString("calls-address", o.calls_address);
  CITYOPS_ASSIGN_OR_RETURN(o.calls_per_day, config.GetDouble("calls-per-day", o.calls_per_day));
  o.topic_prefix = config.GetString("topic-prefix", "");
  CITYOPS_ASSIGN_OR_RETURN(o.watch_faults, config.GetBool("watch-faults", o.watch_faults));
  o.scenario.name = config.GetString("scenario", o.scenario.name);
  o.scenario.dir = config.GetString("scenario-dir", "");
  o.scenario.fault_asset = config.GetString("fault-asset", "");
  CITYOPS_ASSIGN_OR_RETURN(o.scenario.list, config.GetBool("list-scenarios", false));
  CITYOPS_ASSIGN_OR_RETURN(o.register_only, config.GetBool("register-only", false));
  CITYOPS_ASSIGN_OR_RETURN(o.duration, config.GetDuration("duration", o.duration));
  CITYOPS_ASSIGN_OR_RETURN(o.log_every, config.GetDuration("log-every", o.log_every));
  int64_t batch_max = 0;
  CITYOPS_ASSIGN_OR_RETURN(batch_max, config.GetInt("batch-max", o.batch_max));
  o.log_level = config.GetString("log-level", o.log_level);
  o.report_path = config.GetString("report", "");

  if (seed < 0) return absl::InvalidArgumentError("seed must be a non-negative integer");
  if (!(o.city.scale > 0 && o.city.scale <= 20)) {
    return absl::InvalidArgumentError("scale must be within (0, 20] (1 = Dijon, 10 = a metropolis)");
  }
  if (!(o.speed >= 1 && o.speed <= 10000)) return absl::InvalidArgumentError("speed must be within 1..10000");
  if (!(o.calls_per_day >= 0 && o.calls_per_day <= 100000)) {
    return absl::InvalidArgumentError("calls-per-day must be within 0..100000");
  }
  if (batch_max < 1 || batch_max > 10000) return absl::InvalidArgumentError("batch-max must be within 1..10000");
  o.batch_max = static_cast<int>(batch_max);
  if (o.duration.count() < 0) return absl::InvalidArgumentError("duration must not be negative");
  if (o.log_every.count() <= 0) return absl::InvalidArgumentError("log-every must be positive");
  if (o.scenario.name.empty()) return absl::InvalidArgumentError("scenario must not be empty (none: no scenario)");
  if (o.ingest_address.empty()) return absl::InvalidArgumentError("ingest-address must not be empty");
  return o;
}

}  // namespace cityops::sim
