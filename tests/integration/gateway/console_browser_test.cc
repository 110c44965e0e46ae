// The operator console in a real browser (headless Chromium driven by
// tests/browser/console_test.mjs) against the whole suite behind the gateway:
// log in, see a cabinet's power loss appear on the map and in the queue
// without reloading, acknowledge it and dispatch a crew. The screenshot is
// kept in the build tree (test-artifacts/console.png).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "gateway_suite.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

pid_t StartNode(const std::vector<std::string>& args, const std::string& log_path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

TEST_CASE("In the console, a cabinet's power loss appears without reloading and is acknowledged and dispatched") {
  GatewaySuite suite;
  suite.RegisterCabinet("cab-ui-1", 8);
  suite.RegisterCrews({"crew-ui-a", "crew-ui-b"}, "street_lighting");

  const std::filesystem::path artifacts = CITYOPS_ARTIFACT_DIR;
  std::filesystem::create_directories(artifacts);
  const std::string screenshot = (artifacts / "console.png").string();
  std::filesystem::remove(screenshot);
  const std::string ready = "/tmp/" + UniqueName("console_ready");
  const std::string log = "/tmp/" + UniqueName("console_test") + ".log";
  const pid_t node =
      StartNode({"node", SourcePath("tests/browser/console_test.mjs"), "--url",
                 "http://127.0.0.1:" + std::to_string(suite.http_port()) + "/", "--user", "admin", "--password",
                 kAdminPassword, "--ready-file", ready, "--screenshot", screenshot, "--timeout-ms", "150000"},
                log);
  REQUIRE(node > 0);

  // When the console is logged in and live, the cabinet loses its power.
  bool fault_sent = false;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 170s;
  for (;;) {
    if (!fault_sent && std::filesystem::exists(ready)) {
      suite.CabinetPowerLoss("cab-ui-1");
      fault_sent = true;
    }
    const pid_t done = ::waitpid(node, &status, WNOHANG);
    if (done == node) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(node, SIGKILL);
      ::waitpid(node, &status, 0);
      FAIL("the browser test did not finish in time:\n" << ReadFile(log));
    }
    std::this_thread::sleep_for(100ms);
  }
  std::filesystem::remove(ready);
  INFO("browser test log:\n"
       << ReadFile(log) << "\ngateway log tail:\n"
       << ReadFile(suite.gateway_log()).substr(0, 4000));
  CHECK(fault_sent);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(std::filesystem::file_size(screenshot) > 10'000);
}

}  // namespace
}  // namespace cityops::testing
