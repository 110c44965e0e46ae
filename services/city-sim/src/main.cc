// city-sim: the composition root of the city simulator. Reads the settings,
// generates the city, builds the ingest client, the readings stream and the
// faults watcher, runs the simulation on its own thread, and on SIGINT/SIGTERM
// (or after --duration) stops in reverse order.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "call_agent.h"
#include "call_line.h"
#include "city.h"
#include "cityops/common/clock.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"
#include "cityops/common/shutdown.h"
#include "cityops/common/topic_names.h"
#include "crew_agent.h"
#include "crews.h"
#include "fault_watcher.h"
#include "ingest_client.h"
#include "lighting_watcher.h"
#include "options.h"
#include "reading_streamer.h"
#include "report.h"
#include "report_collector.h"
#include "scenario.h"
#include "scenario_file.h"
#include "simulation.h"

namespace {

using namespace cityops;  // NOLINT(google-build-using-namespace): composition root

// Human-readable output on stdout, one line at a time, with the local time.
class Console {
 public:
  void Print(const std::string& line) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[16];
    std::strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
    std::lock_guard lock(mutex_);
    std::fprintf(stdout, "[%s] %s\n", stamp, line.c_str());
    std::fflush(stdout);
  }

 private:
  std::mutex mutex_;
};

std::string RandomSuffix() {
  std::random_device device;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%08x%08x", device(), device());
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << sim::kUsage;
      return 0;
    }
  }
  common::ShutdownSignal::Install();
  sim::ReportSignal::Block();  // SIGUSR2: the report so far (--report); before any thread starts
  // --list-scenarios may come without a value.
  std::vector<std::string> arg_text(argv, argv + argc);
  for (size_t i = 1; i < arg_text.size(); ++i) {
    if (arg_text[i] == "--list-scenarios" && (i + 1 == arg_text.size() || arg_text[i + 1].rfind("--", 0) == 0)) {
      arg_text[i] = "--list-scenarios=true";
    }
  }
  std::vector<const char*> args;
  for (const auto& a : arg_text) args.push_back(a.c_str());
  auto config = common::Config::Load(static_cast<int>(args.size()), args.data());
  if (!config.ok()) {
    std::cerr << "city-sim: " << config.status().message() << "\n" << sim::kUsage;
    return 2;
  }
  auto options = sim::LoadOptions(*config);
  if (!options.ok()) {
    std::cerr << "city-sim: " << options.status().message() << "\n";
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("city-sim");
  logger->set_pattern("[%H:%M:%S] %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options->log_level));
  Console console;
  const auto print = [&console](const std::string& line) { console.Print(line); };

  // The scenario's file, read before the city is generated (a mistake in it is told at once).
  std::error_code exe_error;
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", exe_error).string();
  const std::string scenario_dir = sim::FindScenarioDir(options->scenario.dir, sim::DefaultScenarioDirs(exe));
  if (options->scenario.list) {
    std::cout << "scenarios in " << (scenario_dir.empty() ? "(no folder found: give --scenario-dir)" : scenario_dir)
              << ":\n  none: no scenario, the city as it runs every day\n";
    for (const auto& [name, description] : sim::ListScenarios(scenario_dir)) {
      std::cout << "  " << name << ": " << description << "\n";
    }
    return 0;
  }
  auto scenario_spec = sim::LoadScenario(options->scenario.name, scenario_dir);
  if (!scenario_spec.ok()) {
    std::cerr << "city-sim: " << scenario_spec.status().message() << "\n";
    return 2;
  }
  const auto generated_at = std::chrono::steady_clock::now();
  const sim::City city = sim::GenerateCity(options->city);
  sim::PlanParams plan;
  plan.speed = options->speed;
  plan.seed = options->city.seed;
  plan.fault_asset = options->scenario.fault_asset;
  auto scenario = sim::MakeScenario(city, *scenario_spec, plan);
  if (!scenario.ok()) {
    std::cerr << "city-sim: " << scenario.status().message() << "\n";
    return 2;
  }
  const auto generate_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - generated_at).count();
  console.Print("city-sim: seed " + std::to_string(options->city.seed) + ", scale " +
                absl::StrCat(options->city.scale) + ": " + std::to_string(city.size()) + " assets (" +
                std::to_string(city.CountOf(telemetry::v1::ASSET_KIND_LIGHT_POINT)) + " light points on " +
                std::to_string(city.CountOf(telemetry::v1::ASSET_KIND_CONTROL_CABINET)) + " cabinets) generated in " +
                std::to_string(generate_ms) + " ms; ingest at " + options->ingest_address);

  // The report's collector first of all (it keeps what comes from now on).
  std::unique_ptr<sim::ReportCollector> report;
  if (!options->report_path.empty() && !options->register_only) {
    common::KafkaSettings kafka;
    kafka.bootstrap = options->kafka_bootstrap;
    kafka.client_id = "city-sim-report";
    sim::ReportTopics report_topics{topics::Full(options->topic_prefix, topics::kTelemetryFaults),
                                    topics::Full(options->topic_prefix, topics::kIncidents),
                                    topics::Full(options->topic_prefix, topics::kDispatchAssignments),
                                    topics::Full(options->topic_prefix, topics::kCrises)};
    auto consumer = common::KafkaConsumer::Create(
        kafka, options->topic_prefix + "city-sim-report-" + RandomSuffix(),
        {report_topics.faults, report_topics.incidents, report_topics.assignments, report_topics.crises},
        common::ConsumeFrom::kLatest);
    if (!consumer.ok()) {
      spdlog::error("cannot collect the report: {}", consumer.status().ToString());
      return 1;
    }
    report = std::make_unique<sim::ReportCollector>(
        std::move(*consumer), std::move(report_topics), options->scenario.name, std::chrono::system_clock::now(),
        options->lighting_address.empty()
            ? nullptr
            : grpc::CreateChannel(options->lighting_address, grpc::InsecureChannelCredentials()));
    report->Start();
    console.Print("report to " + options->report_path + " when the simulator stops (and on SIGUSR2)");
  }

  // Faults first, so that nothing raised while registering is missed.
  std::unique_ptr<sim::FaultWatcher> watcher;
  if (options->watch_faults && !options->register_only) {
    common::KafkaSettings kafka;
    kafka.bootstrap = options->kafka_bootstrap;
    kafka.client_id = "city-sim";
    const std::string topic = topics::Full(options->topic_prefix, topics::kTelemetryFaults);
    const std::string incidents_topic = topics::Full(options->topic_prefix, topics::kIncidents);
    // From the watcher's creation on (not from when its group has joined):
    // the repairs need every incident's asset.
    auto consumer = common::KafkaConsumer::Create(kafka, options->topic_prefix + "city-sim-watch-" + RandomSuffix(),
                                                  {topic, incidents_topic}, common::ConsumeFrom::kLatest);
    if (!consumer.ok()) {
      spdlog::error("cannot watch {}: {}", topic, consumer.status().ToString());
      return 1;
    }
    watcher = std::make_unique<sim::FaultWatcher>(
        std::move(*consumer), [&console](const std::string& line) { console.Print("FAULT " + line); },
        [&console](const std::string& line) { console.Print("INCIDENT " + line); });
    watcher->Start();
    console.Print("watching " + topic + " and " + incidents_topic + " on " + options->kafka_bootstrap);
  }

  // The crews, in crew dispatch, playing out the work orders they get.
  std::unique_ptr<sim::CrewAgent> crews;
  std::atomic<sim::Simulation*> repairs_to{nullptr};
  sim::VehicleTracks tracks;
  if (!options->dispatch_address.empty() && !options->register_only) {
    crews = std::make_unique<sim::CrewAgent>(
        grpc::CreateChannel(options->dispatch_address, grpc::InsecureChannelCredentials()), options->speed, tracks,
        [&console](const std::string& line) { console.Print("CREW " + line); });
    const auto plans = sim::PlanCrews(city);
    if (auto s = crews->RegisterCrews(plans); !s.ok()) {
      spdlog::error("{}", s.ToString());
      return 1;
    }
    // A crew's completed order repairs the scenario's fault it was about (the
    // simulation, built below, takes it from there).
    crews->SetOnCompleted([&repairs_to](const dispatch::v1::WorkOrder& order) {
      if (sim::Simulation* simulation = repairs_to.load(); simulation != nullptr)
        simulation->OnWorkOrderCompleted(order);
    });
    crews->Start();
    console.Print(std::to_string(plans.size()) + " crews on duty in crew dispatch at " + options->dispatch_address);
  }

  // The light points' controllers, obeying lighting control.
  sim::FieldLevels field(city);
  std::unique_ptr<sim::LightingWatcher> lighting;
  if (!options->lighting_address.empty() && !options->register_only) {
    lighting = std::make_unique<sim::LightingWatcher>(
        grpc::CreateChannel(options->lighting_address, grpc::InsecureChannelCredentials()), field,
        [&console](const std::string& line) { console.Print("LIGHTING " + line); });
    lighting->Start();
  }

  // The residents, calling resident calls (started with the stream).
  std::unique_ptr<sim::CallAgent> calls;
  if (!options->calls_address.empty() && !options->register_only) {
    sim::CallLineParams line;
    line.seed = options->city.seed;
    line.calls_per_day = options->calls_per_day;
    line.speed = options->speed;
    if (scenario->daily_calls) {
      // The scenario's day of calls replaces the everyday flow.
      line.calls_per_day = scenario->daily_calls->per_day;
      line.hourly_profile = scenario->daily_calls->hourly_profile;
      line.start = std::chrono::system_clock::now();
    }
    line.districts = &options->city.Districts();
    sim::CallAgentSettings call_settings;
    call_settings.run_id = RandomSuffix();
    calls = std::make_unique<sim::CallAgent>(
        grpc::CreateChannel(options->calls_address, grpc::InsecureChannelCredentials()), sim::CallLine(line),
        sim::ScenarioCalls(city, *scenario, options->city.seed), call_settings,
        [&console](const std::string& text) { console.Print("CALL " + text); });
    console.Print("residents call resident calls at " + options->calls_address + ": " +
                  absl::StrCat(line.calls_per_day) + " calls a day" +
                  (line.hourly_profile.empty() ? "" : " shaped by the hour") +
                  (options->speed > 1 ? absl::StrCat(" (x", options->speed, ")") : "") + ", followed until closed");
  }

  sim::IngestClient client(grpc::CreateChannel(options->ingest_address, grpc::InsecureChannelCredentials()));
  sim::ReadingStreamer streamer(client.stub());  // started once the city is registered
  common::SystemClock clock;
  sim::SimulationSettings run_settings;
  run_settings.speed = options->speed;
  run_settings.batch_max = static_cast<size_t>(options->batch_max);
  run_settings.log_every = options->log_every;
  run_settings.register_only = options->register_only;
  // With a report and no --duration, the run ends with the scenario.
  run_settings.stop_at_end = !options->report_path.empty() && options->duration.count() == 0;
  if (report != nullptr) {
    run_settings.settled = [&report] { return report->UnresolvedFromFaults() == 0; };
  }
  if (crews != nullptr) run_settings.tracks = &tracks;
  if (lighting != nullptr) run_settings.field = &field;
  if (calls != nullptr) run_settings.calls = calls.get();
  sim::Simulation simulation(city, *scenario, client, streamer, watcher.get(), clock, run_settings, print);
  repairs_to = &simulation;

  // Writes the report so far and prints its table; false when it could not be written.
  const auto write_report = [&]() {
    std::optional<sim::CallFigures> call_figures;
    if (calls != nullptr) {
      const sim::CallStats c = calls->stats();
      call_figures = sim::CallFigures{c.received, c.linked, c.closed};
    }
    const sim::Report r = report->Snapshot(call_figures, std::chrono::system_clock::now());
    if (const absl::Status s = sim::WriteReportFile(r, options->report_path); !s.ok()) {
      spdlog::error("report: {}", s.ToString());
      return false;
    }
    const std::string table = sim::FormatTable(r);
    for (size_t begin = 0; begin < table.size();) {
      const size_t end = std::min(table.find('\n', begin), table.size());
      console.Print(table.substr(begin, end - begin));
      begin = end + 1;
    }
    console.Print("report written to " + options->report_path);
    return true;
  };
  std::unique_ptr<sim::ReportSignal> report_signal;
  if (report != nullptr) {
    report_signal = std::make_unique<sim::ReportSignal>([&write_report] { write_report(); });
    report_signal->Start();
  }

  std::atomic<bool> stop{false};
  int exit_code = 0;
  std::thread runner([&] {
    const absl::Status status = simulation.Run(stop);
    if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
      spdlog::error("{}", status.ToString());
      exit_code = 1;
    }
    common::ShutdownSignal::RequestShutdown();  // done (register-only) or failed: wake main
  });
  std::thread timer;
  std::mutex timer_mutex;
  std::condition_variable timer_cv;
  if (options->duration.count() > 0) {
    timer = std::thread([&] {
      std::unique_lock lock(timer_mutex);
      if (!timer_cv.wait_for(lock, options->duration, [&] { return stop.load(); })) {
        common::ShutdownSignal::RequestShutdown();
      }
    });
  }

  const int signal = common::ShutdownSignal::WaitForShutdownSignal();
  if (signal != 0) console.Print("signal " + std::to_string(signal) + ": stopping");
  {
    std::lock_guard lock(timer_mutex);
    stop = true;
  }
  timer_cv.notify_all();
  runner.join();
  if (timer.joinable()) timer.join();
  streamer.Stop(std::chrono::seconds(10));
  if (crews != nullptr) crews->Stop();
  if (lighting != nullptr) lighting->Stop();
  if (calls != nullptr) calls->Stop();
  if (watcher != nullptr) {
    // A moment for the last fault events (the scenario's clearing) to arrive.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    watcher->Stop();
  }
  if (report != nullptr) {
    report_signal->Stop();
    // The platform's last events (the incident resolving, the order completed) still on their way.
    report->Stop(std::chrono::seconds(2), std::chrono::seconds(15));
    if (calls != nullptr) calls->Refresh();  // the calls linked and closed since its last poll
    if (!write_report()) exit_code = 1;
  }
  const sim::StreamStats s = streamer.stats();
  const sim::CallStats c = calls != nullptr ? calls->stats() : sim::CallStats{};
  console.Print("city-sim stopped: readings sent " + std::to_string(s.readings_sent) + ", acked " +
                std::to_string(s.readings_acked) + ", rejected " + std::to_string(s.readings_rejected) + ", failed " +
                std::to_string(s.readings_failed) + ", dropped " + std::to_string(s.readings_dropped) +
                (calls != nullptr ? absl::StrCat("; calls sent ", c.sent, ", rejected ", c.rejected, ", failed ",
                                                 c.failed, ", linked ", c.linked, ", closed ", c.closed)
                                  : ""));
  return exit_code;
}
