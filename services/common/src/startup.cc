#include "cityops/common/startup.h"

#include <cstdio>
#include <fstream>

#include "cityops/common/pg.h"

namespace cityops::common {

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

void WriteReadyFile(const std::string& path, int grpc_port, int metrics_port) {
  if (path.empty()) return;
  std::ofstream(path + ".tmp") << "{\"grpc_port\":" << grpc_port << ",\"metrics_port\":" << metrics_port << "}\n";
  std::rename((path + ".tmp").c_str(), path.c_str());
}

}  // namespace cityops::common
