#include "suite_processes.h"

namespace cityops::testing {

namespace {

void Append(std::vector<std::string>& to, const std::vector<std::string>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

}  // namespace

SuiteProcesses::SuiteProcesses(SuiteProcessesOptions options) : log_prefix_(std::move(options.log_prefix)) {
  auto ingest_args = CommonArgs(NewSchema("ti"));
  Append(ingest_args, options.ingest_args);
  ingest_ = std::make_unique<ServiceProcess>(TELEMETRY_INGEST_BINARY, ingest_args, LogPath("ti"));

  auto correlation_args = CommonArgs(NewSchema("ic"));
  correlation_args.push_back("--tick-interval=200ms");
  Append(correlation_args, options.correlation_args);
  correlation_ = std::make_unique<ServiceProcess>(INCIDENT_CORRELATION_BINARY, correlation_args, LogPath("ic"));

  auto dispatch_args = CommonArgs(NewSchema("cd"));
  dispatch_args.push_back("--tick-interval=200ms");
  Append(dispatch_args, options.dispatch_args);
  dispatch_ = std::make_unique<ServiceProcess>(CREW_DISPATCH_BINARY, dispatch_args, LogPath("cd"));

  if (options.lighting) {
    auto lighting_args = CommonArgs(NewSchema("lc"));
    lighting_args.push_back("--ingest-address=" + ingest_address());
    Append(lighting_args, options.lighting_args);
    lighting_ = std::make_unique<ServiceProcess>(LIGHTING_CONTROL_BINARY, lighting_args, LogPath("lc"));
  }

  auto calls_args = CommonArgs(NewSchema("rc"));
  calls_args.push_back("--http-address=");
  Append(calls_args, options.calls_args);
  calls_ = std::make_unique<ServiceProcess>(RESIDENT_CALLS_BINARY, calls_args, LogPath("rc"));
}

SuiteProcesses::~SuiteProcesses() {
  calls_.reset();
  lighting_.reset();
  dispatch_.reset();
  correlation_.reset();
  ingest_.reset();
}

const TestSchema& SuiteProcesses::NewSchema(std::string_view prefix) {
  schemas_.push_back(std::make_unique<TestSchema>(prefix));
  return *schemas_.back();
}

std::vector<std::string> SuiteProcesses::CommonArgs(const TestSchema& schema) const {
  return {"--pg-dsn=" + schema.dsn(),           "--pg-schema=" + schema.name(), "--kafka-bootstrap=" + KafkaBootstrap(),
          "--topic-prefix=" + topics_.prefix(), "--grpc-address=127.0.0.1:0",   "--metrics-address=127.0.0.1:0"};
}

std::string SuiteProcesses::LogPath(std::string_view service) const {
  return "/tmp/" + UniqueName(log_prefix_ + "_" + std::string(service)) + ".log";
}

std::string SuiteProcesses::Logs(size_t tail_bytes) const {
  std::string out;
  const std::pair<const char*, const ServiceProcess*> processes[] = {{"telemetry-ingest", ingest_.get()},
                                                                     {"incident-correlation", correlation_.get()},
                                                                     {"crew-dispatch", dispatch_.get()},
                                                                     {"lighting-control", lighting_.get()},
                                                                     {"resident-calls", calls_.get()}};
  for (const auto& [name, process] : processes) {
    if (process == nullptr) continue;
    std::string log = ReadFile(process->log_path());
    if (log.size() > tail_bytes) log = "...\n" + log.substr(log.size() - tail_bytes);
    out += std::string("===== ") + name + " (" + process->log_path() + ")\n" + log;
  }
  return out;
}

}  // namespace cityops::testing
