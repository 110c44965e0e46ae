#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"
#include "cityops/common/pg.h"

// What every service's main does while starting: read its settings, retry a
// dependency for a while, say why it gives up, take the one-writer lock, tell
// scripts where it listens.
namespace cityops::common {

// The service's settings from the environment and the flags (Config::Load),
// read by `load` (the service's LoadSettings): a malformed flag or setting is
// the error.
template <typename Settings>
absl::StatusOr<Settings> ReadSettings(int argc, const char* const* argv,
                                      absl::StatusOr<Settings> (*load)(const Config& config)) {
  auto config = Config::Load(argc, argv);
  if (!config.ok()) return config.status();
  return load(*config);
}

// A setting or a file given to the service is wrong: prints "<service>:
// <message>" on stderr (plain text, for whoever started it; logging may not
// be set up yet) and returns 2, main's exit code for it.
int UsageError(std::string_view service, const absl::Status& status);

// Logs "<what>: <status>" as critical and returns 1 (main's exit code).
int StartupFailure(std::string_view what, const absl::Status& status);

// Calls attempt() until it returns OK or `budget` is spent (every 500 ms).
template <typename F>
auto WithRetry(std::chrono::milliseconds budget, std::string_view what, F&& attempt) -> decltype(attempt()) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    auto result = attempt();
    if (result.ok() || std::chrono::steady_clock::now() >= deadline) return result;
    spdlog::warn("{} not ready yet: {}", what, result.status().ToString());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// One writer per `key` at a time: waits (polling every second, until
// `stopping`) for a session advisory lock on the dedicated connection, held
// until that connection ends. Returns false when stopped first.
absl::StatusOr<bool> TakeWriterLock(pqxx::connection& connection, const std::string& key,
                                    const std::atomic<bool>& stopping);

// A pool on the service's schema (retried within `budget` while PostgreSQL
// does not answer) with the service's migrations applied (logged).
absl::StatusOr<std::unique_ptr<PgPool>> OpenDatabase(const std::string& dsn, const std::string& schema, int pool_size,
                                                     const std::vector<Migration>& migrations,
                                                     std::chrono::milliseconds budget);

// A producer whose brokers answered a metadata round trip (retried within `budget`).
absl::StatusOr<std::unique_ptr<KafkaProducer>> OpenProducer(const KafkaSettings& settings,
                                                            std::shared_ptr<prometheus::Registry> metrics,
                                                            std::string_view metric_service,
                                                            std::chrono::milliseconds budget);

// Waits for SIGTERM/SIGINT on a thread of its own, so that start-up can see
// `stopping()` while it waits (for the writer's lock). Leaving its scope
// early (a failed start) stops that thread.
class ShutdownWatcher {
 public:
  ShutdownWatcher();
  ~ShutdownWatcher();
  ShutdownWatcher(const ShutdownWatcher&) = delete;
  ShutdownWatcher& operator=(const ShutdownWatcher&) = delete;
  const std::atomic<bool>& stopping() const { return stopping_; }
  // Until the signal; returns it.
  int Wait();

 private:
  std::atomic<bool> stopping_{false};
  int signal_ = 0;
  std::thread thread_;
};

// Writes {"grpc_port":..,"metrics_port":..} to `path` (atomically) once the
// service is ready, with "http_port" when the service serves HTTP (non-zero);
// nothing when path is empty.
void WriteReadyFile(const std::string& path, int grpc_port, int metrics_port, int http_port = 0);

}  // namespace cityops::common
