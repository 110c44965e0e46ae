// resident-calls: the composition root. Reads its settings, the categories
// and the districts, connects to PostgreSQL and Kafka, serves gRPC, Open311
// over HTTP and /metrics, follows the incidents topic, relays its outbox, and
// on SIGTERM/SIGINT stops in reverse order. Several instances may run at once:
// every change is one transaction on row locks, the incident feed is
// idempotent, and the outbox relay publishes from one instance at a time.
#include <malloc.h>

#include <chrono>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "calls_service.h"
#include "cityops/common/consumer_loop.h"
#include "cityops/common/districts.h"
#include "cityops/common/grpc_server.h"
#include "cityops/common/http_server.h"
#include "cityops/common/kafka.h"
#include "cityops/common/log.h"
#include "cityops/common/metrics.h"
#include "cityops/common/outbox.h"
#include "cityops/common/pg.h"
#include "cityops/common/shutdown.h"
#include "cityops/common/startup.h"
#include "cityops/common/topic_names.h"
#include "domain/calls_config.h"
#include "incident_feed.h"
#include "open311/backend.h"
#include "open311/open311_api.h"
#include "request_book.h"
#include "settings.h"

namespace cityops::calls {
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
  auto settings_or = common::ReadSettings(argc, argv, calls::LoadSettings);
  if (!settings_or.ok()) return common::UsageError(calls::kServiceName, settings_or.status());
  const calls::CallsSettings& settings = *settings_or;
  common::InitLogging(settings.service.name, settings.service.log_level);
  auto calls_config = settings.config_file.empty() ? calls::CallsConfig::FromJson(calls::DefaultCallsConfigJson())
                                                   : calls::CallsConfig::LoadFile(settings.config_file);
  if (!calls_config.ok()) return common::UsageError(calls::kServiceName, calls_config.status());
  if (settings.retention) {
    calls_config->retention = std::chrono::duration_cast<std::chrono::seconds>(*settings.retention);
  }
  std::optional<common::DistrictMap> own_districts;
  if (!settings.districts_file.empty()) {
    auto loaded = common::DistrictMap::FromFile(settings.districts_file);
    if (!loaded.ok()) return common::UsageError(calls::kServiceName, loaded.status());
    own_districts = std::move(*loaded);
  }
  const common::DistrictMap& districts = own_districts ? *own_districts : common::DistrictMap::Dijon();

  common::ShutdownWatcher shutdown;
  auto metrics = std::make_shared<prometheus::Registry>();
  common::SystemClock clock;
  auto pool = common::OpenDatabase(settings.service.pg_dsn, settings.service.pg_schema, settings.service.pg_pool_size,
                                   calls::EmbeddedMigrations(), settings.service.startup_timeout);
  if (!pool.ok()) return Fail("PostgreSQL", pool.status());
  auto producer =
      common::OpenProducer(settings.service.kafka, metrics, "resident_calls", settings.service.startup_timeout);
  if (!producer.ok()) return Fail("Kafka", producer.status());
  const std::string incidents_topic = topics::Full(settings.service.topic_prefix, topics::kIncidents);
  auto consumer =
      common::KafkaConsumer::Create(settings.service.kafka, settings.service.consumer_group, {incidents_topic});
  if (!consumer.ok()) return Fail("Kafka consumer", consumer.status());

  calls::RequestBook book(
      **pool, *calls_config, [&districts](double lat, double lon) { return districts.Locate(lat, lon); }, clock,
      *metrics);
  calls::IncidentFeed feed(**pool, book, incidents_topic, *metrics);
  common::ConsumerLoop loop(**consumer, feed,
                            {1000, std::chrono::milliseconds(100), std::chrono::seconds(30), settings.purge_interval},
                            *metrics, "resident_calls");
  common::OutboxRelay relay(**pool, **producer, {settings.service.topic_prefix}, metrics, "resident_calls");
  calls::CallsService service(book);

  auto metrics_server = common::MetricsServer::Start(settings.service.metrics_address, metrics);
  if (!metrics_server.ok()) return Fail("metrics endpoint", metrics_server.status());
  auto server = common::GrpcServer::Start({settings.service.grpc_address}, {&service});
  if (!server.ok()) return Fail("gRPC server", server.status());

  // Open311 goes through the gRPC contract, as it will from the gateway.
  std::unique_ptr<calls::open311::GrpcRequestsBackend> backend;
  std::unique_ptr<calls::open311::Open311Api> open311;
  std::unique_ptr<common::HttpServer> http;
  if (!settings.http_address.empty()) {
    backend = std::make_unique<calls::open311::GrpcRequestsBackend>(calls::v1::ResidentCalls::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials())));
    calls::open311::Open311Options options;
    options.jurisdiction_id = settings.jurisdiction_id;
    options.api_key_validator = calls::open311::ApiKeyValidator(settings.open311_keys);
    open311 = std::make_unique<calls::open311::Open311Api>(*backend, options);
    auto started_http = common::HttpServer::Start(
        settings.http_address, [api = open311.get()](const common::HttpRequest& r) { return api->Handle(r); }, {});
    if (!started_http.ok()) return Fail("HTTP server", started_http.status());
    http = std::move(*started_http);
  }

  relay.Start();
  loop.Start();
  (*server)->SetServing(true);
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  const int http_port = http ? http->port() : 0;
  spdlog::info("resident-calls ready in {} ms: grpc_port={} metrics_port={} http_port={} ({} Open311 client(s))",
               ready_ms, (*server)->port(), (*metrics_server)->port(), http_port, settings.open311_keys.size());
  common::WriteReadyFile(settings.service.ready_file, (*server)->port(), (*metrics_server)->port(), http_port);

  const int signal = shutdown.Wait();
  spdlog::info("signal {}: shutting down", signal);
  if (http) http->Stop();
  (*server)->SetServing(false);
  (*server)->Shutdown(std::chrono::seconds(5));
  loop.Stop();
  relay.Stop(std::chrono::seconds(10));
  const int undelivered = (*producer)->Flush(std::chrono::seconds(10));
  (*consumer)->Close();
  spdlog::info("resident-calls stopped ({} message(s) undelivered)", undelivered);
  return undelivered == 0 ? 0 : 1;
}
