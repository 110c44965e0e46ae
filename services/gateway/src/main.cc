// gateway: the composition root. Reads its settings, connects to PostgreSQL
// (users, API keys, audit) and Kafka (the live feed), creates the first admin
// on first start, serves REST, the live feed, Open311 and the console over
// HTTP, gRPC health and /metrics, and on SIGTERM/SIGINT stops in reverse
// order. Several instances may run at once: each reads the feed's topics in a
// consumer group of its own.
#include <malloc.h>

#include <chrono>
#include <random>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/common/districts.h"
#include "cityops/common/grpc_server.h"
#include "cityops/common/http_server.h"
#include "cityops/common/kafka.h"
#include "cityops/common/log.h"
#include "cityops/common/metrics.h"
#include "cityops/common/pg.h"
#include "cityops/common/shutdown.h"
#include "cityops/common/startup.h"
#include "cityops/common/topic_names.h"
#include "feed_buffer.h"
#include "gateway_api.h"
#include "gateway_store.h"
#include "key_figures.h"
#include "live_feed.h"
#include "open311/backend.h"
#include "open311/open311_api.h"
#include "security/jwt.h"
#include "security/rate_limiter.h"
#include "settings.h"
#include "upstreams.h"

namespace cityops::gateway {
std::vector<common::Migration> EmbeddedMigrations();
}

int main(int argc, char** argv) {
  using namespace cityops;  // NOLINT(google-build-using-namespace): composition root
  const auto started = std::chrono::steady_clock::now();
  mallopt(M_ARENA_MAX, 2);
  // Argon2id's 19 MiB blocks are mapped and unmapped each time (a fixed
  // threshold: glibc would otherwise raise it and keep the freed blocks).
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  common::ShutdownSignal::Install();
  auto settings_or = common::ReadSettings(argc, argv, gateway::LoadSettings);
  if (!settings_or.ok()) return common::UsageError(gateway::kServiceName, settings_or.status());
  const gateway::GatewaySettings& settings = *settings_or;
  common::InitLogging(settings.service.name, settings.service.log_level);
  auto jwt = gateway::JwtCodec::Create(settings.jwt_secret, "cityops-gateway", "cityops-console",
                                       std::chrono::duration_cast<std::chrono::seconds>(settings.token_lifetime));
  if (!jwt.ok()) return common::UsageError(gateway::kServiceName, jwt.status());

  common::ShutdownWatcher shutdown;
  auto metrics = std::make_shared<prometheus::Registry>();
  common::SystemClock clock;
  auto pool = common::OpenDatabase(settings.service.pg_dsn, settings.service.pg_schema, settings.service.pg_pool_size,
                                   gateway::EmbeddedMigrations(), settings.service.startup_timeout);
  if (!pool.ok()) return common::StartupFailure("PostgreSQL", pool.status());
  gateway::PgGatewayStore store(**pool);
  if (auto admin = gateway::EnsureFirstAdmin(store, settings.admin_user, settings.admin_password); !admin.ok()) {
    if (absl::IsInvalidArgument(admin)) return common::UsageError(gateway::kServiceName, admin);
    return common::StartupFailure("first admin", admin);
  }

  // The live feed: this instance's own consumer group, from the latest events.
  const std::string epoch = absl::StrCat(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count(),
      "x", std::random_device()() % 100000);
  std::vector<std::string> feed_topics;
  for (const auto& topic : gateway::FeedTopics()) {
    feed_topics.push_back(topics::Full(settings.service.topic_prefix, topic.topic));
  }
  auto consumer = common::KafkaConsumer::Create(settings.service.kafka, settings.service.consumer_group + "-" + epoch,
                                                feed_topics, common::ConsumeFrom::kLatest);
  if (!consumer.ok()) return common::StartupFailure("Kafka consumer", consumer.status());
  gateway::FeedBuffer feed(epoch, settings.feed_window, 100'000, clock, gateway::FeedBuffer::kDefaultMaxBytes);
  gateway::FeedPump pump(**consumer, feed, settings.service.topic_prefix, *metrics);

  gateway::Upstreams upstreams({settings.telemetry_address, settings.incidents_address, settings.dispatch_address,
                                settings.lighting_address, settings.calls_address},
                               settings.upstream_deadline);
  gateway::KeyFiguresSource figures(upstreams, clock);
  gateway::RateLimiter limiter(settings.rate_limit, settings.rate_burst, clock);
  // Five tries, then one every ten seconds, per username.
  gateway::RateLimiter login_limiter(0.1, 5, clock);

  calls::open311::GrpcRequestsBackend open311_backend(
      calls::v1::ResidentCalls::NewStub(upstreams.channel(gateway::Upstream::kCalls)), settings.upstream_deadline);
  calls::open311::Open311Options open311_options;
  open311_options.jurisdiction_id = settings.jurisdiction_id;
  open311_options.api_key_validator = calls::open311::ApiKeyValidator(settings.open311_keys);
  calls::open311::Open311Api open311(open311_backend, open311_options);

  std::atomic<bool> stopping{false};
  gateway::GatewayApiDeps deps;
  deps.store = &store;
  deps.upstreams = &upstreams;
  deps.jwt = &*jwt;
  deps.limiter = &limiter;
  deps.login_limiter = &login_limiter;
  deps.feed = &feed;
  deps.figures = &figures;
  deps.open311 = &open311;
  deps.clock = &clock;
  deps.stopping = &stopping;
  deps.console_dir = settings.console_dir;
  deps.districts_geojson = std::string(common::DijonDistrictsGeoJson());
  gateway::GatewayApi api(std::move(deps), *metrics);

  auto metrics_server = common::MetricsServer::Start(settings.service.metrics_address, metrics);
  if (!metrics_server.ok()) return common::StartupFailure("metrics endpoint", metrics_server.status());
  auto server = common::GrpcServer::Start({settings.service.grpc_address}, {});
  if (!server.ok()) return common::StartupFailure("gRPC server", server.status());
  common::HttpLimits limits;
  limits.threads = 8;  // a call to a service blocks its thread; live-feed clients do not
  auto http = common::HttpServer::Start(
      settings.http_address, [&api](const common::HttpRequest& r) { return api.Handle(r); }, limits);
  if (!http.ok()) return common::StartupFailure("HTTP server", http.status());

  pump.Start();
  (*server)->SetServing(true);
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("gateway ready in {} ms: http_port={} grpc_port={} metrics_port={} console={}", ready_ms,
               (*http)->port(), (*server)->port(), (*metrics_server)->port(),
               settings.console_dir.empty() ? "(none)" : settings.console_dir);
  common::WriteReadyFile(settings.service.ready_file, (*server)->port(), (*metrics_server)->port(), (*http)->port());

  const int signal = shutdown.Wait();
  spdlog::info("signal {}: shutting down", signal);
  stopping = true;
  (*http)->Stop();
  (*server)->SetServing(false);
  (*server)->Shutdown(std::chrono::seconds(5));
  pump.Stop();
  (*consumer)->Close();
  spdlog::info("gateway stopped");
  return 0;
}
