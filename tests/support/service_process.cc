#include "service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace cityops::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

ServiceProcess::ServiceProcess(std::string binary, std::vector<std::string> args, std::string log_path,
                               std::chrono::milliseconds ready_timeout)
    : log_path_(std::move(log_path)) {
  const std::string ready_file = log_path_ + ".ready";
  std::remove(ready_file.c_str());
  args.push_back("--ready-file=" + ready_file);
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  for (;;) {
    std::ifstream in(ready_file);
    if (in) {
      auto j = nlohmann::json::parse(in, nullptr, false);
      if (!j.is_discarded()) {
        grpc_port_ = j.value("grpc_port", 0);
        metrics_port_ = j.value("metrics_port", 0);
        http_port_ = j.value("http_port", 0);
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("service exited before it was ready; its log:\n" << ReadFile(log_path_));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      Kill();
      FAIL("service not ready in time; its log:\n" << ReadFile(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Stop();
}

int ServiceProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() > deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int ServiceProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = Wait(timeout);
  if (code == -2) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
  return code;
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Wait(std::chrono::seconds(10));
}

HttpReply HttpExchange(int port, const std::string& method, const std::string& path, const std::string& body,
                       const std::string& content_type, const std::vector<std::string>& headers) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
    for (const std::string& header : headers) request += header + "\r\n";
    if (!body.empty() || method == "POST") {
      request += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  const auto end_of_headers = response.find("\r\n\r\n");
  if (end_of_headers == std::string::npos) return reply;
  reply.headers = response.substr(0, end_of_headers);
  reply.body = response.substr(end_of_headers + 4);
  // "HTTP/1.1 200 OK"
  const auto space = reply.headers.find(' ');
  if (space != std::string::npos) reply.status = std::atoi(reply.headers.c_str() + space + 1);
  return reply;
}

std::string HttpGet(int port, const std::string& path) { return HttpExchange(port, "GET", path).body; }

double ScrapeMetric(int port, const std::string& series) {
  const std::string text = HttpGet(port, "/metrics");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nan("");
}

}  // namespace cityops::testing
