#include "cityops/common/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cityops::common {

// ---------------------------------------------------------------------------
// Values and decoding

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return absl::ascii_tolower(static_cast<unsigned char>(x)) < absl::ascii_tolower(static_cast<unsigned char>(y));
  });
}

std::string_view HttpRequest::Header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> UrlDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(absl::StrCat("malformed percent escape at offset ", i));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<FormFields> ParseFormUrlEncoded(std::string_view text) {
  FormFields fields;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto name = UrlDecode(pair.substr(0, eq), true);
    if (!name.ok()) return name.status();
    if (name->empty()) return absl::InvalidArgumentError("a form field without a name");
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = UrlDecode(pair.substr(eq + 1), true);
      if (!decoded.ok()) return decoded.status();
      value = *std::move(decoded);
    }
    // A multimap inserts an equal key after those already there: repeated
    // names keep their order.
    fields.emplace(*std::move(name), std::move(value));
  }
  return fields;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

const std::string* FindField(const FormFields& fields, const std::string& name) {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string JsonErrorBody(int status, std::string_view message) {
  const nlohmann::json body = {{"code", status}, {"message", message}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t code = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Server

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Handler handler;
  HttpLimits limits;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopped{false};
  // Destroyed before the members above: the sessions still queued in the
  // io_context go with it and use `connections` and `limits` on their way out.
  std::optional<asio::io_context> ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;

  void Accept();
};

namespace {

// Bytes read and thrown away, at most, while closing a connection whose
// client may still be sending (so that the kernel does not reset it before
// the client has read the answer).
constexpr size_t kMaxDrainBytes = 1024 * 1024;
constexpr std::chrono::seconds kDrainTimeout{1};

HttpResponse ErrorResponse(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = JsonErrorBody(status, message);
  return response;
}

// The parser's own errors (as opposed to the connection's).
bool IsParseError(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

bool HasCrOrLf(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server, std::string peer)
      : stream_(std::move(socket)), server_(server), peer_(std::move(peer)) {}
  ~Session() { server_.connections.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  const HttpLimits& limits() const { return server_.limits; }

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(limits().max_body_bytes));
    stream_.expires_after(limits().read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return OnReadError(ec);
    const auto& request = parser_->get();
    const auto expect = request[http::field::expect];
    if (absl::EqualsIgnoreCase(absl::string_view(expect.data(), expect.size()), "100-continue")) {
      continue_.emplace(http::status::continue_, request.version());
      http::async_write(stream_, *continue_, beast::bind_front_handler(&Session::OnContinueSent, shared_from_this()));
      return;
    }
    ReadBody();
  }

  void OnContinueSent(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return Close();
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Write(ErrorResponse(413, absl::StrCat("the body is larger than ", limits().max_body_bytes, " bytes")),
                   /*close=*/true, /*head=*/false);
    }
    if (ec == http::error::header_limit) {
      return Write(
          ErrorResponse(431, absl::StrCat("the headers are larger than ", limits().max_header_bytes, " bytes")),
          /*close=*/true, /*head=*/false);
    }
    // The client closed between requests, went silent (timeout) or reset.
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || !IsParseError(ec)) {
      return Close();
    }
    // Anything else the parser refused.
    Write(ErrorResponse(400, "malformed HTTP request"), /*close=*/true, /*head=*/false);
  }

  void OnRead(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return OnReadError(ec);
    auto& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      std::string value(field.value());
      auto [it, inserted] = request.headers.emplace(std::string(field.name_string()), value);
      if (!inserted) absl::StrAppend(&it->second, ", ", value);
    }
    request.body = std::move(message.body());
    request.peer = peer_;
    version_ = message.version();
    const bool keep_alive = message.keep_alive() && limits().keep_alive && !server_.stopped.load();

    HttpResponse response;
    try {
      response = server_.handler(request);
    } catch (const std::exception& e) {
      spdlog::error("HTTP handler failed on {} {}: {}", request.method, request.path, e.what());
      response = ErrorResponse(500, "internal error");
    } catch (...) {
      spdlog::error("HTTP handler failed on {} {}: unknown exception", request.method, request.path);
      response = ErrorResponse(500, "internal error");
    }
    if (response.status < 200 || response.status > 599) {
      spdlog::error("HTTP handler answered status {} on {} {}", response.status, request.method, request.path);
      response = ErrorResponse(500, "internal error");
    }
    if (response.stream != nullptr && request.method != "HEAD") return StartStream(std::move(response));
    Write(std::move(response), !keep_alive, request.method == "HEAD");
  }

  // A streaming response: the header, the first body, then what the stream
  // gives, polled every stream_poll, until it ends or the client goes away
  // (watched by a read that only an EOF or an error completes).
  void StartStream(HttpResponse response) {
    stream_source_ = std::move(response.stream);
    stream_header_.emplace();
    stream_header_->version(version_ == 0 ? 11 : version_);
    stream_header_->result(static_cast<unsigned>(response.status));
    stream_header_->set(http::field::server, "cityops");
    if (!response.content_type.empty() && !HasCrOrLf(response.content_type)) {
      stream_header_->set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || HasCrOrLf(name) || HasCrOrLf(value)) continue;
      stream_header_->insert(name, value);
    }
    stream_header_->keep_alive(false);
    stream_serializer_.emplace(*stream_header_);
    pending_ = std::move(response.body);
    stream_.expires_after(limits().read_timeout);
    http::async_write_header(stream_, *stream_serializer_,
                             beast::bind_front_handler(&Session::OnStreamHeader, shared_from_this()));
  }

  void OnStreamHeader(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return Close();
    stream_.socket().async_read_some(asio::buffer(drain_),
                                     beast::bind_front_handler(&Session::OnStreamClientRead, shared_from_this()));
    PumpStream();
  }

  void OnStreamClientRead(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return Close();
    // Whatever a streaming client sends is ignored.
    stream_.socket().async_read_some(asio::buffer(drain_),
                                     beast::bind_front_handler(&Session::OnStreamClientRead, shared_from_this()));
  }

  void PumpStream() {
    if (closed_ || server_.stopped.load()) return Close();
    if (pending_.empty()) {
      std::optional<std::string> next;
      try {
        next = stream_source_->Next();
      } catch (const std::exception& e) {
        spdlog::error("HTTP stream failed: {}", e.what());
      }
      if (!next) return Close();
      pending_ = std::move(*next);
    }
    if (pending_.empty()) {
      stream_timer_.expires_after(limits().stream_poll);
      stream_timer_.async_wait(beast::bind_front_handler(&Session::OnStreamTimer, shared_from_this()));
      return;
    }
    stream_.expires_after(limits().read_timeout);
    asio::async_write(stream_, asio::buffer(pending_),
                      beast::bind_front_handler(&Session::OnStreamWritten, shared_from_this()));
  }

  void OnStreamWritten(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return Close();
    pending_.clear();
    PumpStream();
  }

  void OnStreamTimer(beast::error_code ec) {
    if (ec) return Close();
    PumpStream();
  }

  void Write(HttpResponse response, bool close, bool head) {
    response_ = {};
    response_.version(version_ == 0 ? 11 : version_);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "cityops");
    if (!response.content_type.empty() && !HasCrOrLf(response.content_type)) {
      response_.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || HasCrOrLf(name) || HasCrOrLf(value)) {
        spdlog::error("HTTP handler gave an invalid header \"{}\"; left out", name);
        continue;
      }
      response_.insert(name, value);
    }
    response_.body() = std::move(response.body);
    response_.keep_alive(!close);
    response_.prepare_payload();
    if (head) {
      // The length of what a GET would give, no body.
      const size_t length = response_.body().size();
      response_.body().clear();
      response_.content_length(length);
    }
    stream_.expires_after(limits().read_timeout);
    http::async_write(stream_, response_, beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
  }

  void OnWrite(bool close, beast::error_code ec, size_t /*bytes*/) {
    if (ec) return Close();
    if (close) return Linger();
    Read();
  }

  // Half-closes, then reads what the client still sends until it closes too
  // (or a second, or a megabyte): closing with unread bytes would reset the
  // connection and could destroy the answer before the client reads it.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTimeout);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_), beast::bind_front_handler(&Session::OnDrained, shared_from_this()));
  }

  void OnDrained(beast::error_code ec, size_t bytes) {
    drained_ += bytes;
    if (ec || drained_ > kMaxDrainBytes) return Close();
    Drain();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    stream_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> response_;
  unsigned version_ = 11;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
  // Streaming responses only.
  std::shared_ptr<ResponseStream> stream_source_;
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
  std::string pending_;
  asio::steady_timer stream_timer_{stream_.get_executor()};
  bool closed_ = false;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
      spdlog::warn("HTTP accept failed: {}", ec.message());
    } else if (connections.load() >= limits.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      beast::error_code endpoint_error;
      const tcp::endpoint remote = socket.remote_endpoint(endpoint_error);
      std::string peer =
          endpoint_error ? std::string("?") : absl::StrCat(remote.address().to_string(), ":", remote.port());
      connections.fetch_add(1);
      std::make_shared<Session>(std::move(socket), *this, std::move(peer))->Start();
    }
    Accept();
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address, Handler handler,
                                                              HttpLimits limits) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP address \"", address, "\" is not host:port"));
  }
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  int port_number = 0;
  if (!absl::SimpleAtoi(port_text, &port_number) || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP address \"", address, "\": bad port"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (handler == nullptr) return absl::InvalidArgumentError("HTTP server without a handler");
  limits.threads = std::max(1, limits.threads);

  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->limits = limits;
  impl->ioc.emplace(limits.threads);
  beast::error_code ec;
  tcp::resolver resolver(*impl->ioc);
  const auto endpoints = resolver.resolve(host, port_text, tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot resolve the HTTP address ", address, ": ", ec.message()));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl->acceptor.emplace(*impl->ioc);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  const int port = impl->acceptor->local_endpoint().port();

  impl->work.emplace(impl->ioc->get_executor());
  impl->Accept();
  for (int i = 0; i < limits.threads; ++i) {
    impl->threads.emplace_back([ioc = &*impl->ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("HTTP server thread: {}", e.what());
        }
      }
    });
  }
  spdlog::info("HTTP server listening on port {}", port);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), port));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl, int port) : impl_(std::move(impl)), port_(port) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped.exchange(true)) return;
  impl_->work.reset();
  impl_->ioc->stop();
  for (std::thread& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
  impl_->threads.clear();
  // Closes the listening socket, then every connection (with the sessions
  // that were waiting in the io_context).
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
  impl_->acceptor.reset();
  impl_->work.reset();
  impl_->ioc.reset();
}

}  // namespace cityops::common
