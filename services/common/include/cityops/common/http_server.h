#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/http.h"

namespace cityops::common {

struct HttpLimits {
  // A larger body is answered 413 (Content Too Large) and the connection closed.
  size_t max_body_bytes = 1024 * 1024;
  // Request line and headers together; larger is answered 431 and closed.
  size_t max_header_bytes = 16 * 1024;
  // Time to receive a whole request (and, between keep-alive requests, to wait
  // for the next one) and to send a response; the connection is closed after it.
  std::chrono::milliseconds read_timeout{10'000};
  // Serve several requests per connection when the client asks for it.
  bool keep_alive = true;
  // Connections beyond this many are closed at once.
  size_t max_connections = 512;
  // Threads that read, call the handler and write; the handler may block one.
  int threads = 2;
  // How often a streaming response (HttpResponse::stream) is asked for more.
  std::chrono::milliseconds stream_poll{50};
};

// A small HTTP/1.1 server (Boost.Beast) for the edges that speak HTTP. The
// handler is called on one of the server's threads, concurrently with itself
// when there are several; an exception it throws is answered 500 with a JSON
// body and the server goes on. Bodies of the server's own errors are JSON
// (JsonErrorBody).
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // `address` is "host:port" ("127.0.0.1:0": a free port on loopback,
  // "0.0.0.0:8080", "[::1]:0"). UNAVAILABLE when it cannot listen there.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address, Handler handler,
                                                           HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Stops listening, closes every connection (a request in progress gets no
  // answer) and joins the threads. Idempotent; not from a handler.
  void Stop();

  struct Impl;  // the server's state, in http_server.cc

 private:
  HttpServer(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

}  // namespace cityops::common
