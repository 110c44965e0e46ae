// crew-dispatch: the composition root. Reads its settings and thresholds,
// connects to PostgreSQL and Kafka, takes the writer's lock, loads crews and
// open work orders, serves gRPC and /metrics, consumes incident events, and on
// SIGTERM/SIGINT stops in reverse order.
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <thread>

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
#include "dispatch_desk.h"
#include "dispatch_service.h"
#include "dispatch_store.h"
#include "domain/dispatch_rules.h"
#include "domain/eta.h"
#include "positions_feed.h"
#include "settings.h"

namespace cityops::dispatch {
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
  auto settings_or = common::ReadSettings(argc, argv, dispatch::LoadSettings);
  if (!settings_or.ok()) return common::UsageError(dispatch::kServiceName, settings_or.status());
  const dispatch::DispatchSettings& settings = *settings_or;
  common::InitLogging(settings.service.name, settings.service.log_level);
  auto rules = settings.rules_file.empty() ? dispatch::DispatchRules::FromJson(dispatch::DefaultDispatchRulesJson())
                                           : dispatch::DispatchRules::LoadFile(settings.rules_file);
  if (!rules.ok()) return common::UsageError(dispatch::kServiceName, rules.status());

  common::ShutdownWatcher shutdown;

  auto metrics = std::make_shared<prometheus::Registry>();
  common::SystemClock clock;
  auto pool = common::OpenDatabase(settings.service.pg_dsn, settings.service.pg_schema, settings.service.pg_pool_size,
                                   dispatch::EmbeddedMigrations(), settings.service.startup_timeout);
  if (!pool.ok()) return Fail("PostgreSQL", pool.status());
  auto lock_connection = (*pool)->ConnectDedicated();
  if (!lock_connection.ok()) return Fail("PostgreSQL", lock_connection.status());
  auto locked = common::TakeWriterLock(**lock_connection, "cityops.crew_dispatch.writer:" + settings.service.pg_schema,
                                       shutdown.stopping());
  if (!locked.ok()) return Fail("writer's lock", locked.status());
  if (!*locked) return 0;

  auto producer =
      common::OpenProducer(settings.service.kafka, metrics, "crew_dispatch", settings.service.startup_timeout);
  if (!producer.ok()) return Fail("Kafka", producer.status());
  const std::string incidents_topic = topics::Full(settings.service.topic_prefix, topics::kIncidents);
  auto consumer =
      common::KafkaConsumer::Create(settings.service.kafka, settings.service.consumer_group, {incidents_topic});
  if (!consumer.ok()) return Fail("Kafka consumer", consumer.status());
  const std::string readings_topic = topics::Full(settings.service.topic_prefix, topics::kTelemetryReadings);
  auto positions_consumer = common::KafkaConsumer::Create(settings.service.kafka, settings.positions_group,
                                                          {readings_topic}, settings.positions_from);
  if (!positions_consumer.ok()) return Fail("Kafka consumer", positions_consumer.status());

  dispatch::GreatCircleEta eta(rules->road_factor, rules->speed_kmh);
  dispatch::AssignmentFeed feed;
  dispatch::DispatchStore store(**pool);
  dispatch::DispatchDesk desk(**pool, store, *rules, eta, clock, feed, incidents_topic,
                              std::chrono::hours(24 * settings.applied_events_retention_days), *metrics);
  if (auto s = desk.Load(); !s.ok()) return Fail("loading crews and work orders", s);
  common::ConsumerLoop inputs(**consumer, desk,
                              {static_cast<size_t>(settings.apply_batch), std::chrono::milliseconds(100),
                               settings.tick_interval, std::chrono::hours(1)},
                              *metrics, "crew_dispatch");
  dispatch::PositionsFeed positions(desk, readings_topic,
                                    {settings.min_lat, settings.max_lat, settings.min_lon, settings.max_lon}, *metrics);
  common::ConsumerLoop positions_loop(**positions_consumer, positions,
                                      {static_cast<size_t>(settings.apply_batch) * 5, std::chrono::milliseconds(100),
                                       std::chrono::hours(1), std::chrono::hours(24)},
                                      *metrics, "crew_dispatch_positions");
  common::OutboxRelay relay(**pool, **producer, {settings.service.topic_prefix}, metrics, "crew_dispatch");
  dispatch::DispatchService service(desk, store, feed, settings, clock);

  auto metrics_server = common::MetricsServer::Start(settings.service.metrics_address, metrics);
  if (!metrics_server.ok()) return Fail("metrics endpoint", metrics_server.status());
  auto server = common::GrpcServer::Start({settings.service.grpc_address}, {&service});
  if (!server.ok()) return Fail("gRPC server", server.status());

  relay.Start();
  inputs.Start();
  positions_loop.Start();
  (*server)->SetServing(true);
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("crew-dispatch ready in {} ms: grpc_port={} metrics_port={}", ready_ms, (*server)->port(),
               (*metrics_server)->port());
  common::WriteReadyFile(settings.service.ready_file, (*server)->port(), (*metrics_server)->port());

  const int signal = shutdown.Wait();
  spdlog::info("signal {}: shutting down", signal);
  (*server)->SetServing(false);
  (*server)->Shutdown(std::chrono::seconds(5));
  positions_loop.Stop();
  inputs.Stop();
  relay.Stop(std::chrono::seconds(10));
  const int undelivered = (*producer)->Flush(std::chrono::seconds(10));
  (*positions_consumer)->Close();
  (*consumer)->Close();
  spdlog::info("crew-dispatch stopped ({} message(s) undelivered)", undelivered);
  return undelivered == 0 ? 0 : 1;
}
