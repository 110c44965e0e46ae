#include "cityops/common/startup.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cityops/common/pg.h"
#include "cityops/common/shutdown.h"

namespace cityops::common {

int UsageError(std::string_view service, const absl::Status& status) {
  std::cerr << service << ": " << status.message() << "\n";
  return 2;
}

int StartupFailure(std::string_view what, const absl::Status& status) {
  spdlog::critical("{}: {}", what, status.ToString());
  return 1;
}

absl::StatusOr<bool> TakeWriterLock(pqxx::connection& connection, const std::string& key,
                                    const std::atomic<bool>& stopping) {
  bool logged = false;
  while (!stopping) {
    try {
      pqxx::nontransaction tx(connection);
      if (tx.exec_params1("SELECT pg_try_advisory_lock(hashtext($1))", key)[0].as<bool>()) return true;
    } catch (const std::exception& e) {
      return StatusFromPqxx(e);
    }
    if (!logged) spdlog::info("another instance holds the writer's lock: waiting for it");
    logged = true;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return false;
}

absl::StatusOr<std::unique_ptr<PgPool>> OpenDatabase(const std::string& dsn, const std::string& schema, int pool_size,
                                                     const std::vector<Migration>& migrations,
                                                     std::chrono::milliseconds budget) {
  auto pool = WithRetry(budget, "PostgreSQL", [&] { return PgPool::Create(dsn, schema, pool_size); });
  if (!pool.ok()) return pool.status();
  auto migrated = ApplyMigrations(**pool, migrations);
  if (!migrated.ok()) return migrated.status();
  spdlog::info("schema {}: {} migration(s) applied", schema, *migrated);
  return pool;
}

absl::StatusOr<std::unique_ptr<KafkaProducer>> OpenProducer(const KafkaSettings& settings,
                                                            std::shared_ptr<prometheus::Registry> metrics,
                                                            std::string_view metric_service,
                                                            std::chrono::milliseconds budget) {
  auto producer = KafkaProducer::Create(settings, std::move(metrics), metric_service);
  if (!producer.ok()) return producer.status();
  auto ping = WithRetry(budget, "Kafka", [&]() -> absl::StatusOr<bool> {
    if (auto s = (*producer)->Ping(std::chrono::seconds(2)); !s.ok()) return s;
    return true;
  });
  if (!ping.ok()) return ping.status();
  return producer;
}

ShutdownWatcher::ShutdownWatcher() {
  thread_ = std::thread([this] {
    signal_ = ShutdownSignal::WaitForShutdownSignal();
    stopping_ = true;
  });
}

ShutdownWatcher::~ShutdownWatcher() {
  if (!thread_.joinable()) return;
  ShutdownSignal::RequestShutdown();
  thread_.join();
}

int ShutdownWatcher::Wait() {
  if (thread_.joinable()) thread_.join();
  return signal_;
}

void WriteReadyFile(const std::string& path, int grpc_port, int metrics_port, int http_port) {
  if (path.empty()) return;
  std::ofstream out(path + ".tmp");
  out << "{\"grpc_port\":" << grpc_port << ",\"metrics_port\":" << metrics_port;
  if (http_port != 0) out << ",\"http_port\":" << http_port;
  out << "}\n";
  out.close();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

}  // namespace cityops::common
