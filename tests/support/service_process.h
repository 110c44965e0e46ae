#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace cityops::testing {

// A service binary run as a child process, as an operator would run it.
class ServiceProcess {
 public:
  // Starts `binary` with `args` (stdout and stderr to log_path) and waits
  // until it wrote its --ready-file. FAILs the test if it exits or times out.
  ServiceProcess(std::string binary, std::vector<std::string> args, std::string log_path,
                 std::chrono::milliseconds ready_timeout = std::chrono::seconds(30));
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  // 0 unless the service serves HTTP (its ready file says "http_port").
  int http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // SIGTERM and wait; returns the exit code (or 128 + signal).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL: no chance to flush anything.
  void Kill();
  bool running() const { return pid_ > 0; }

 private:
  int Wait(std::chrono::milliseconds timeout);
  std::string log_path_;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  int http_port_ = 0;
};

// The log of a process, for failure messages.
std::string ReadFile(const std::string& path);

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string headers;
  std::string body;
};
// One HTTP/1.0 exchange with 127.0.0.1:<port>.
// `headers` are extra lines ("Authorization: Bearer x"), without CRLF.
HttpReply HttpExchange(int port, const std::string& method, const std::string& path, const std::string& body = {},
                       const std::string& content_type = "application/x-www-form-urlencoded",
                       const std::vector<std::string>& headers = {});
// GET http://127.0.0.1:<port><path> (plain HTTP/1.0); the body, or empty on failure.
std::string HttpGet(int port, const std::string& path);
// The value of one series (name with its labels, exactly as exposed, such as
// `x_total{rule="all"}`) on a service's /metrics; NaN when it is not there.
double ScrapeMetric(int port, const std::string& series);

}  // namespace cityops::testing
