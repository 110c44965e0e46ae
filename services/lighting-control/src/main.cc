// lighting-control: the composition root. Reads its settings and defaults,
// connects to PostgreSQL and Kafka, takes the writer's lock, loads the city's
// light points and schedule, serves gRPC and /metrics, consumes the asset
// registry and the light points' readings, plans every tick, and on
// SIGTERM/SIGINT stops in reverse order.
#include <malloc.h>

#include <chrono>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "cityops/common/consumer_loop.h"
#include "cityops/common/grpc_server.h"
#include "cityops/common/kafka.h"
#include "cityops/common/log.h"
#include "cityops/common/metrics.h"
#include "cityops/common/outbox.h"
#include "cityops/common/pg.h"
#include "cityops/common/shutdown.h"
#include "cityops/common/startup.h"
#include "cityops/common/topic_names.h"
#include "domain/lighting_config.h"
#include "fault_reporter.h"
#include "lighting_desk.h"
#include "lighting_service.h"
#include "readings_feed.h"
#include "settings.h"

namespace cityops::lighting {
std::vector<common::Migration> EmbeddedMigrations();
}

namespace {

using namespace cityops;  // NOLINT(google-build-using-namespace): composition root

int Fail(std::string_view what, const absl::Status& status) { return common::StartupFailure(what, status); }

}  // namespace

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  mallopt(M_ARENA_MAX, 2);
  common::ShutdownSignal::Install();
  auto settings_or = common::ReadSettings(argc, argv, lighting::LoadSettings);
  if (!settings_or.ok()) return common::UsageError(lighting::kServiceName, settings_or.status());
  const lighting::LightingSettings& settings = *settings_or;
  common::InitLogging(settings.service.name, settings.service.log_level);
  auto defaults = settings.config_file.empty()
                      ? lighting::LightingConfig::FromJson(lighting::DefaultLightingConfigJson())
                      : lighting::LightingConfig::LoadFile(settings.config_file);
  if (!defaults.ok()) return common::UsageError(lighting::kServiceName, defaults.status());

  common::ShutdownWatcher shutdown;

  auto metrics = std::make_shared<prometheus::Registry>();
  common::SystemClock clock;
  auto pool = common::OpenDatabase(settings.service.pg_dsn, settings.service.pg_schema, settings.service.pg_pool_size,
                                   lighting::EmbeddedMigrations(), settings.service.startup_timeout);
  if (!pool.ok()) return Fail("PostgreSQL", pool.status());
  auto lock_connection = (*pool)->ConnectDedicated();
  if (!lock_connection.ok()) return Fail("PostgreSQL", lock_connection.status());
  auto locked = common::TakeWriterLock(
      **lock_connection, "cityops.lighting_control.writer:" + settings.service.pg_schema, shutdown.stopping());
  if (!locked.ok()) return Fail("writer's lock", locked.status());
  if (!*locked) return 0;

  auto producer =
      common::OpenProducer(settings.service.kafka, metrics, "lighting_control", settings.service.startup_timeout);
  if (!producer.ok()) return Fail("Kafka", producer.status());
  const std::string assets_topic = topics::Full(settings.service.topic_prefix, topics::kTelemetryAssets);
  auto consumer =
      common::KafkaConsumer::Create(settings.service.kafka, settings.service.consumer_group, {assets_topic});
  if (!consumer.ok()) return Fail("Kafka consumer", consumer.status());
  const std::string readings_topic = topics::Full(settings.service.topic_prefix, topics::kTelemetryReadings);
  auto readings_consumer = common::KafkaConsumer::Create(settings.service.kafka, settings.readings_group,
                                                         {readings_topic}, settings.readings_from);
  if (!readings_consumer.ok()) return Fail("Kafka consumer", readings_consumer.status());

  std::unique_ptr<lighting::FaultReporter> faults;
  if (settings.ingest_address.empty()) {
    faults = std::make_unique<lighting::NoFaultReporter>();
  } else {
    faults = std::make_unique<lighting::IngestFaultReporter>(
        grpc::CreateChannel(settings.ingest_address, grpc::InsecureChannelCredentials()));
  }
  lighting::CommandFeed feed(100000);
  lighting::LightingDesk desk(**pool, *defaults, *faults, clock, feed, assets_topic, settings.rebuild_quiet, *metrics);
  if (auto s = desk.Load(); !s.ok()) return Fail("loading the light points and the schedule", s);
  common::ConsumerLoop assets_loop(**consumer, desk,
                                   {static_cast<size_t>(settings.apply_batch), std::chrono::milliseconds(100),
                                    settings.tick_interval, std::chrono::hours(24)},
                                   *metrics, "lighting_control");
  lighting::ReadingsFeed readings(desk, readings_topic, *metrics);
  common::ConsumerLoop readings_loop(**readings_consumer, readings,
                                     {static_cast<size_t>(settings.apply_batch), std::chrono::milliseconds(100),
                                      std::chrono::hours(1), std::chrono::hours(24)},
                                     *metrics, "lighting_control_readings");
  common::OutboxRelay relay(**pool, **producer, {settings.service.topic_prefix}, metrics, "lighting_control");
  lighting::LightingService service(desk, **pool, feed);

  auto metrics_server = common::MetricsServer::Start(settings.service.metrics_address, metrics);
  if (!metrics_server.ok()) return Fail("metrics endpoint", metrics_server.status());
  auto server = common::GrpcServer::Start({settings.service.grpc_address}, {&service});
  if (!server.ok()) return Fail("gRPC server", server.status());

  relay.Start();
  assets_loop.Start();
  readings_loop.Start();
  (*server)->SetServing(true);
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("lighting-control ready in {} ms: grpc_port={} metrics_port={}", ready_ms, (*server)->port(),
               (*metrics_server)->port());
  common::WriteReadyFile(settings.service.ready_file, (*server)->port(), (*metrics_server)->port());

  const int signal = shutdown.Wait();
  spdlog::info("signal {}: shutting down", signal);
  (*server)->SetServing(false);
  (*server)->Shutdown(std::chrono::seconds(5));
  readings_loop.Stop();
  assets_loop.Stop();
  relay.Stop(std::chrono::seconds(10));
  const int undelivered = (*producer)->Flush(std::chrono::seconds(10));
  (*readings_consumer)->Close();
  (*consumer)->Close();
  spdlog::info("lighting-control stopped ({} message(s) undelivered)", undelivered);
  return undelivered == 0 ? 0 : 1;
}
