// incident-correlation: the composition root. Reads its settings and rules,
// connects to PostgreSQL and Kafka, takes the writer's lock, loads the state,
// serves gRPC and /metrics, consumes faults, requests and the asset registry,
// and on SIGTERM/SIGINT stops in reverse order.
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
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
#include "crisis_actions.h"
#include "crisis_service.h"
#include "crisis_store.h"
#include "domain/crisis.h"
#include "domain/rules.h"
#include "event_hub.h"
#include "incident_desk.h"
#include "incident_service.h"
#include "incident_store.h"
#include "settings.h"

namespace cityops::incidents {
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
  auto settings_or = common::ReadSettings(argc, argv, incidents::LoadSettings);
  if (!settings_or.ok()) return common::UsageError(incidents::kServiceName, settings_or.status());
  const incidents::CorrelationSettings& settings = *settings_or;
  common::InitLogging(settings.service.name, settings.service.log_level);
  auto rules = settings.rules_file.empty() ? incidents::Rules::FromJson(incidents::DefaultRulesJson())
                                           : incidents::Rules::LoadFile(settings.rules_file);
  if (!rules.ok()) return common::UsageError(incidents::kServiceName, rules.status());
  auto playbooks = settings.playbooks_file.empty()
                       ? incidents::crisis::Playbooks::FromJson(incidents::crisis::DefaultPlaybooksJson(),
                                                                "playbooks.json (built in)")
                       : incidents::crisis::Playbooks::LoadFile(settings.playbooks_file);
  if (!playbooks.ok()) return common::UsageError(incidents::kServiceName, playbooks.status());
  std::optional<common::DistrictMap> own_districts;
  if (!settings.districts_file.empty()) {
    auto loaded = common::DistrictMap::FromFile(settings.districts_file);
    if (!loaded.ok()) return common::UsageError(incidents::kServiceName, loaded.status());
    own_districts = std::move(*loaded);
  }
  const common::DistrictMap& districts = own_districts ? *own_districts : common::DistrictMap::Dijon();

  common::ShutdownWatcher shutdown;

  auto metrics = std::make_shared<prometheus::Registry>();
  common::SystemClock clock;
  auto pool = common::OpenDatabase(settings.service.pg_dsn, settings.service.pg_schema, settings.service.pg_pool_size,
                                   incidents::EmbeddedMigrations(), settings.service.startup_timeout);
  if (!pool.ok()) return Fail("PostgreSQL", pool.status());
  auto lock_connection = (*pool)->ConnectDedicated();
  if (!lock_connection.ok()) return Fail("PostgreSQL", lock_connection.status());
  auto locked = common::TakeWriterLock(
      **lock_connection, "cityops.incident_correlation.writer:" + settings.service.pg_schema, shutdown.stopping());
  if (!locked.ok()) return Fail("writer's lock", locked.status());
  if (!*locked) return 0;

  auto producer =
      common::OpenProducer(settings.service.kafka, metrics, "incident_correlation", settings.service.startup_timeout);
  if (!producer.ok()) return Fail("Kafka", producer.status());
  const incidents::IncidentDesk::Topics topics{
      topics::Full(settings.service.topic_prefix, topics::kTelemetryFaults),
      topics::Full(settings.service.topic_prefix, topics::kCallsRequests),
      topics::Full(settings.service.topic_prefix, topics::kTelemetryAssets),
      topics::Full(settings.service.topic_prefix, topics::kDispatchAssignments),
  };
  auto consumer = common::KafkaConsumer::Create(settings.service.kafka, settings.service.consumer_group,
                                                {topics.faults, topics.requests, topics.assets, topics.assignments});
  if (!consumer.ok()) return Fail("Kafka consumer", consumer.status());

  incidents::EventHub hub;
  incidents::IncidentStore store(**pool);
  incidents::CrisisStore crisis_store(**pool);
  incidents::IncidentDesk desk(**pool, store, *rules, clock, hub, topics,
                               std::chrono::hours(24 * settings.applied_events_retention_days), *metrics, crisis_store,
                               *playbooks, districts);
  if (auto s = desk.Load(); !s.ok()) return Fail("loading incidents", s);
  common::ConsumerLoop inputs(**consumer, desk,
                              {static_cast<size_t>(settings.apply_batch), std::chrono::milliseconds(100),
                               settings.tick_interval, std::chrono::hours(1)},
                              *metrics, "incident_correlation");
  common::OutboxRelay relay(**pool, **producer, {settings.service.topic_prefix}, metrics, "incident_correlation");
  incidents::IncidentService service(desk, store, hub);
  incidents::CrisisService crisis_service(desk, crisis_store);
  incidents::GrpcCrisisEffects effects(
      grpc::CreateChannel(settings.lighting_address, grpc::InsecureChannelCredentials()),
      grpc::CreateChannel(settings.dispatch_address, grpc::InsecureChannelCredentials()));
  incidents::CrisisActionRunner runner(effects, districts, clock);
  incidents::CrisisActionLoop crisis_actions(desk, runner, *metrics);

  auto metrics_server = common::MetricsServer::Start(settings.service.metrics_address, metrics);
  if (!metrics_server.ok()) return Fail("metrics endpoint", metrics_server.status());
  auto server = common::GrpcServer::Start({settings.service.grpc_address}, {&service, &crisis_service});
  if (!server.ok()) return Fail("gRPC server", server.status());

  relay.Start();
  inputs.Start();
  crisis_actions.Start(settings.crisis_action_interval);
  (*server)->SetServing(true);
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("incident-correlation ready in {} ms: grpc_port={} metrics_port={} topology={}", ready_ms,
               (*server)->port(), (*metrics_server)->port(), desk.topology_size());
  common::WriteReadyFile(settings.service.ready_file, (*server)->port(), (*metrics_server)->port());

  const int signal = shutdown.Wait();
  spdlog::info("signal {}: shutting down", signal);
  (*server)->SetServing(false);
  (*server)->Shutdown(std::chrono::seconds(5));
  crisis_actions.Stop();
  inputs.Stop();
  relay.Stop(std::chrono::seconds(10));
  const int undelivered = (*producer)->Flush(std::chrono::seconds(10));
  (*consumer)->Close();
  spdlog::info("incident-correlation stopped ({} message(s) undelivered)", undelivered);
  return undelivered == 0 ? 0 : 1;
}
