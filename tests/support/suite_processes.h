#pragma once

// The five services of the suite (telemetry-ingest, incident-correlation,
// crew-dispatch, lighting-control, resident-calls) as real processes on the
// test stack, on one set of topics, each in a schema of its own, with fast
// ticks. The gateway's tests and the end-to-end tests put more in front.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cityops_test_support.h"
#include "service_process.h"

namespace cityops::testing {

struct SuiteProcessesOptions {
  // false: lighting-control is not started.
  bool lighting = true;
  // Log files are /tmp/<log_prefix>_<service>_<random>.log.
  std::string log_prefix = "suite";
  // More flags for a service, after the common ones.
  std::vector<std::string> ingest_args;
  std::vector<std::string> correlation_args;
  std::vector<std::string> dispatch_args;
  std::vector<std::string> lighting_args;
  std::vector<std::string> calls_args;
};

class SuiteProcesses {
 public:
  explicit SuiteProcesses(SuiteProcessesOptions options = {});
  // Stops the services in the reverse of their start.
  ~SuiteProcesses();
  SuiteProcesses(const SuiteProcesses&) = delete;
  SuiteProcesses& operator=(const SuiteProcesses&) = delete;

  const TestTopics& topics() const { return topics_; }
  // A fresh schema kept until the suite ends (for a process started beside it).
  const TestSchema& NewSchema(std::string_view prefix);
  // The flags every service of the suite gets: its schema, the topics, the
  // broker, free gRPC and metrics ports.
  std::vector<std::string> CommonArgs(const TestSchema& schema) const;
  // A log file path for a process of the suite.
  std::string LogPath(std::string_view service) const;

  ServiceProcess& ingest() { return *ingest_; }
  ServiceProcess& correlation() { return *correlation_; }
  ServiceProcess& dispatch() { return *dispatch_; }
  ServiceProcess& calls() { return *calls_; }
  // Null when not started.
  ServiceProcess* lighting() { return lighting_.get(); }

  // "127.0.0.1:<grpc port>"; lighting_address() is empty when not started.
  std::string ingest_address() const { return Address(*ingest_); }
  std::string correlation_address() const { return Address(*correlation_); }
  std::string dispatch_address() const { return Address(*dispatch_); }
  std::string calls_address() const { return Address(*calls_); }
  std::string lighting_address() const { return lighting_ ? Address(*lighting_) : std::string(); }
  static std::string Address(const ServiceProcess& process) {
    return "127.0.0.1:" + std::to_string(process.grpc_port());
  }

  // Every service's log (its last `tail_bytes`), headed by its name, for failure messages.
  std::string Logs(size_t tail_bytes = 4000) const;

 private:
  std::string log_prefix_;
  TestTopics topics_;
  std::vector<std::unique_ptr<TestSchema>> schemas_;
  std::unique_ptr<ServiceProcess> ingest_;
  std::unique_ptr<ServiceProcess> correlation_;
  std::unique_ptr<ServiceProcess> dispatch_;
  std::unique_ptr<ServiceProcess> lighting_;
  std::unique_ptr<ServiceProcess> calls_;
};

}  // namespace cityops::testing
