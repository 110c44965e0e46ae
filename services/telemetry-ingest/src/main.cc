// telemetry-ingest: the composition root. Reads its settings, connects to
// PostgreSQL and Kafka, builds the registry, the intake, the consumer and the
// monitors, serves gRPC and /metrics, and on SIGTERM/SIGINT stops in reverse
// order, answering what is in flight first.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "asset_registry.h"
#include "cityops/common/grpc_server.h"
#include "cityops/common/kafka.h"
#include "cityops/common/log.h"
#include "cityops/common/metrics.h"
#include "cityops/common/outbox.h"
#include "cityops/common/pg.h"
#include "cityops/common/shutdown.h"
#include "cityops/common/startup.h"
#include "cityops/common/topic_names.h"
#include "domain/fault_tracker.h"
#include "domain/normal_ranges.h"
#include "fault_publisher.h"
#include "history_retention.h"
#include "ingest_service.h"
#include "readings_intake.h"
#include "settings.h"
#include "silence_monitor.h"
#include "telemetry_applier.h"

namespace cityops::telemetry {
std::vector<common::Migration> EmbeddedMigrations();
}

namespace {

using namespace cityops;  // NOLINT(google-build-using-namespace): composition root

int Fail(std::string_view what, const absl::Status& status) { return common::StartupFailure(what, status); }

}  // namespace

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  // gRPC and librdkafka run many threads; glibc's default of one malloc arena
  // per thread (up to 8 per core) holds memory that a few arenas share well.
  mallopt(M_ARENA_MAX, 2);
  common::ShutdownSignal::Install();
  auto settings_or = common::ReadSettings(argc, argv, telemetry::LoadSettings);
  if (!settings_or.ok()) return common::UsageError(telemetry::kServiceName, settings_or.status());
  const telemetry::IngestSettings& settings = *settings_or;
  common::InitLogging(settings.service.name, settings.service.log_level);

  auto ranges = settings.normal_ranges_file.empty()
                    ? telemetry::NormalRanges::FromJson(telemetry::DefaultNormalRangesJson())
                    : telemetry::NormalRanges::LoadFile(settings.normal_ranges_file);
  if (!ranges.ok()) return Fail("normal ranges", ranges.status());

  auto metrics = std::make_shared<prometheus::Registry>();
  common::SystemClock clock;

  auto pool = common::OpenDatabase(settings.service.pg_dsn, settings.service.pg_schema, settings.service.pg_pool_size,
                                   telemetry::EmbeddedMigrations(), settings.service.startup_timeout);
  if (!pool.ok()) return Fail("PostgreSQL", pool.status());

  auto producer =
      common::OpenProducer(settings.service.kafka, metrics, "telemetry_ingest", settings.service.startup_timeout);
  if (!producer.ok()) return Fail("Kafka", producer.status());
  const std::string readings_topic = topics::Full(settings.service.topic_prefix, topics::kTelemetryReadings);
  // The consumer prefetches little: records are small and many, and what it
  // holds ahead of the database is memory (librdkafka holds up to 64 MB per partition by default).
  common::KafkaSettings consumer_settings = settings.service.kafka;
  consumer_settings.extra.emplace("queued.max.messages.kbytes", "1024");
  consumer_settings.extra.emplace("queued.min.messages", "10000");
  consumer_settings.extra.emplace("fetch.max.bytes", "4194304");
  consumer_settings.extra.emplace("max.partition.fetch.bytes", "262144");
  auto consumer = common::KafkaConsumer::Create(consumer_settings, settings.service.consumer_group, {readings_topic});
  if (!consumer.ok()) return Fail("Kafka consumer", consumer.status());

  telemetry::AssetRegistry registry(**pool, clock, settings.bounds, settings.limits, *metrics);
  if (auto s = registry.Load(); !s.ok()) return Fail("asset registry", s);
  telemetry::FaultTracker tracker(*ranges);
  telemetry::FaultPublisher publisher(*metrics);
  telemetry::ReadingsIntake intake(registry, **producer, clock,
                                   {readings_topic, settings.limits, settings.delivery_timeout, settings.bounds},
                                   *metrics);
  telemetry::TelemetryApplier applier(**pool, **consumer, registry, tracker, publisher,
                                      {readings_topic, static_cast<size_t>(settings.apply_batch)}, *metrics);
  telemetry::SilenceMonitor silence(**pool, registry, tracker, publisher, clock, settings.silence_scan_interval,
                                    *metrics);
  telemetry::HistoryRetention retention(**pool, clock, settings.history_retention_days);
  common::OutboxRelay relay(**pool, **producer, {settings.service.topic_prefix}, metrics, "telemetry_ingest");
  telemetry::IngestService service(registry, intake, **pool, static_cast<size_t>(settings.max_inflight_batches),
                                   settings.limits);

  auto metrics_server = common::MetricsServer::Start(settings.service.metrics_address, metrics);
  if (!metrics_server.ok()) return Fail("metrics endpoint", metrics_server.status());
  auto server = common::GrpcServer::Start({settings.service.grpc_address}, {&service});
  if (!server.ok()) return Fail("gRPC server", server.status());

  // History partitions exist before the first reading is taken.
  if (auto s = retention.RunOnce(); !s.ok()) return Fail("history partitions", s);
  retention.Start();
  relay.Start();
  applier.Start();
  silence.Start();
  (*server)->SetServing(true);
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("telemetry-ingest ready in {} ms: grpc_port={} metrics_port={} assets={}", ready_ms, (*server)->port(),
               (*metrics_server)->port(), registry.size());
  // For scripts and tests that start it on free ports: where it listens, once ready.
  common::WriteReadyFile(settings.service.ready_file, (*server)->port(), (*metrics_server)->port());

  const int signal = common::ShutdownSignal::WaitForShutdownSignal();
  spdlog::info("signal {}: shutting down", signal);
  (*server)->SetServing(false);
  (*server)->Shutdown(std::chrono::seconds(10));  // batches in flight are answered first
  silence.Stop();
  applier.Stop();
  retention.Stop();
  relay.Stop(std::chrono::seconds(10));
  const int undelivered = (*producer)->Flush(std::chrono::seconds(10));
  (*consumer)->Close();
  spdlog::info("telemetry-ingest stopped ({} message(s) undelivered)", undelivered);
  return undelivered == 0 ? 0 : 1;
}
