#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "cityops/common/http.h"
#include "cityops/common/http_server.h"

namespace cityops::common {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::vector<std::string> Values(const FormFields& fields, const std::string& name) {
  std::vector<std::string> out;
  const auto [begin, end] = fields.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

TEST_CASE("URL decoding: %XX in either case, + as a space only in forms", "[http]") {
  CHECK(*UrlDecode("a%20b%2Fc%2fd", false) == "a b/c/d");
  CHECK(*UrlDecode("a+b", false) == "a+b");
  CHECK(*UrlDecode("a+b", true) == "a b");
  CHECK(*UrlDecode("%C3%A9t%C3%A9", true) == "\xC3\xA9t\xC3\xA9");
  CHECK(*UrlDecode("%00", true) == std::string(1, '\0'));
  CHECK(UrlDecode("", true)->empty());
}

TEST_CASE("A malformed percent escape is INVALID_ARGUMENT", "[http]") {
  for (const char* text : {"%", "%4", "a%zz", "%g0", "abc%2", "%%41"}) {
    INFO(text);
    CHECK(UrlDecode(text, true).status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(ParseFormUrlEncoded(absl::StrCat("x=", text)).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Forms and query strings decode into ordered fields, repeats in their order", "[http]") {
  auto fields = ParseFormUrlEncoded("b=2&a=x+y&a=%26%3D&&c&d=&e=1%2B1");
  REQUIRE(fields.ok());
  CHECK(Values(*fields, "a") == std::vector<std::string>{"x y", "&="});
  CHECK(Values(*fields, "b") == std::vector<std::string>{"2"});
  CHECK(Values(*fields, "c") == std::vector<std::string>{""});
  CHECK(Values(*fields, "d") == std::vector<std::string>{""});
  CHECK(Values(*fields, "e") == std::vector<std::string>{"1+1"});
  CHECK(fields->size() == 6);
  CHECK(fields->begin()->first == "a");
  REQUIRE(FindField(*fields, "a") != nullptr);
  CHECK(*FindField(*fields, "a") == "x y");
  CHECK(FindField(*fields, "zz") == nullptr);

  CHECK(ParseFormUrlEncoded("")->empty());
  CHECK(ParseFormUrlEncoded("&&")->empty());
  // A value may hold '=' once decoded or not.
  CHECK(*FindField(*ParseFormUrlEncoded("k=a=b"), "k") == "a=b");
  CHECK(ParseFormUrlEncoded("=1").status().code() == absl::StatusCode::kInvalidArgument);

  HttpRequest request;
  request.query = "attribute%5BWHISPAWN%5D=123&x=%41";
  auto query = request.QueryFields();
  REQUIRE(query.ok());
  CHECK(*FindField(*query, "attribute[WHISPAWN]") == "123");
  CHECK(*FindField(*query, "x") == "A");
}

TEST_CASE("URL encoding keeps unreserved characters only - decoding gives the text back", "[http]") {
  const std::string text = "a b&c=d/é~._-";
  CHECK(UrlEncode(text) == "a%20b%26c%3Dd%2F%C3%A9~._-");
  CHECK(*UrlDecode(UrlEncode(text), true) == text);
}

TEST_CASE("Header names compare without case", "[http]") {
  HttpRequest request;
  request.headers.emplace("Content-Type", "text/plain");
  CHECK(request.Header("content-type") == "text/plain");
  CHECK(request.Header("CONTENT-TYPE") == "text/plain");
  CHECK(request.Header("Accept").empty());
}

TEST_CASE("UTF-8 validation", "[http]") {
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\xA6"));
  CHECK_FALSE(IsValidUtf8("\xC3"));              // truncated
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xFF"));
  CHECK_FALSE(IsValidUtf8("a\x80"));
}

// A plain Beast client: one connection, requests one after the other.
class Client {
 public:
  explicit Client(int port) : socket_(ioc_) {
    tcp::resolver resolver(ioc_);
    asio::connect(socket_, resolver.resolve("127.0.0.1", std::to_string(port)));
  }

  http::response<http::string_body> Send(http::verb method, const std::string& target, const std::string& body = "",
                                         const std::string& content_type = "") {
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!content_type.empty()) request.set(http::field::content_type, content_type);
    request.body() = body;
    request.prepare_payload();
    http::write(socket_, request);
    return Read();
  }

  http::response<http::string_body> Read() {
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    return response;
  }

  // Whether the server closed the connection (a read ends with EOF or a reset).
  bool ClosedByServer() {
    beast::error_code ec;
    char byte = 0;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

HttpResponse Echo(const HttpRequest& request) {
  if (request.path == "/throw") throw std::runtime_error("the handler broke");
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = absl::StrCat(request.method, " ", request.path, " ? ", request.query, " | ",
                               std::string(request.Header("x-test")), " | ", request.body);
  response.headers.emplace_back("X-Peer-Known", request.peer.empty() ? "no" : "yes");
  if (request.path == "/created") response.status = 201;
  return response;
}

TEST_CASE("The server answers a real request on a free loopback port", "[http][server]") {
  auto server = HttpServer::Start("127.0.0.1:0", Echo);
  REQUIRE(server.ok());
  REQUIRE((*server)->port() > 0);

  Client client((*server)->port());
  http::request<http::string_body> request{http::verb::post, "/a/b.json?x=1&y=%20", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set("X-Test", "hello");
  request.body() = "payload";
  request.prepare_payload();
  http::write(client.socket(), request);
  auto response = client.Read();
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "POST /a/b.json ? x=1&y=%20 | hello | payload");
  CHECK(response[http::field::content_type] == "text/plain");
  CHECK(response["X-Peer-Known"] == "yes");

  // Keep-alive: the same connection serves the next request.
  auto second = client.Send(http::verb::get, "/created");
  CHECK(second.result_int() == 201);
  CHECK(second.body() == "GET /created ?  |  | ");
}

TEST_CASE("A body over the limit is answered 413 and the connection closed", "[http][server]") {
  HttpLimits limits;
  limits.max_body_bytes = 16;
  auto server = HttpServer::Start("127.0.0.1:0", Echo, limits);
  REQUIRE(server.ok());
  {
    Client client((*server)->port());
    auto response = client.Send(http::verb::post, "/x", std::string(100, 'a'), "text/plain");
    CHECK(response.result_int() == 413);
    CHECK(response[http::field::content_type] == "application/json");
    CHECK(response.body().find("\"code\":413") != std::string::npos);
    CHECK(client.ClosedByServer());
  }
  // Up to the limit is fine.
  Client client((*server)->port());
  CHECK(client.Send(http::verb::post, "/x", std::string(16, 'a'), "text/plain").result_int() == 200);
}

TEST_CASE("Headers over the limit are answered 431", "[http][server]") {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  auto server = HttpServer::Start("127.0.0.1:0", Echo, limits);
  REQUIRE(server.ok());
  Client client((*server)->port());
  http::request<http::string_body> request{http::verb::get, "/x", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set("X-Big", std::string(4096, 'b'));
  http::write(client.socket(), request);
  CHECK(client.Read().result_int() == 431);
}

TEST_CASE("A malformed request is answered 400", "[http][server]") {
  auto server = HttpServer::Start("127.0.0.1:0", Echo);
  REQUIRE(server.ok());
  Client client((*server)->port());
  asio::write(client.socket(), asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  CHECK(client.Read().result_int() == 400);
}

TEST_CASE("A handler that throws gives 500 with a JSON body - the server goes on", "[http][server]") {
  auto server = HttpServer::Start("127.0.0.1:0", Echo);
  REQUIRE(server.ok());
  Client client((*server)->port());
  auto failed = client.Send(http::verb::get, "/throw");
  CHECK(failed.result_int() == 500);
  CHECK(failed[http::field::content_type] == "application/json");
  CHECK(failed.body() == R"({"code":500,"message":"internal error"})");
  // The same connection, then a new one.
  CHECK(client.Send(http::verb::get, "/next").result_int() == 200);
  Client other((*server)->port());
  CHECK(other.Send(http::verb::get, "/next").body() == "GET /next ?  |  | ");
}

TEST_CASE("An idle connection is closed after the read timeout", "[http][server]") {
  HttpLimits limits;
  limits.read_timeout = std::chrono::milliseconds(200);
  auto server = HttpServer::Start("127.0.0.1:0", Echo, limits);
  REQUIRE(server.ok());
  Client client((*server)->port());
  CHECK(client.Send(http::verb::get, "/x").result_int() == 200);
  // Nothing more is sent: the server closes (the read returns as soon as it does).
  const auto start = std::chrono::steady_clock::now();
  CHECK(client.ClosedByServer());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("Without keep-alive every response closes its connection", "[http][server]") {
  HttpLimits limits;
  limits.keep_alive = false;
  auto server = HttpServer::Start("127.0.0.1:0", Echo, limits);
  REQUIRE(server.ok());
  Client client((*server)->port());
  auto response = client.Send(http::verb::get, "/x");
  CHECK(response.result_int() == 200);
  CHECK_FALSE(response.keep_alive());
  CHECK(client.ClosedByServer());
}

TEST_CASE("HEAD gets the headers of GET without the body", "[http][server]") {
  auto server = HttpServer::Start("127.0.0.1:0", Echo);
  REQUIRE(server.ok());
  Client client((*server)->port());
  http::request<http::empty_body> request{http::verb::head, "/x", 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(client.socket(), request);
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // a response to HEAD has no body whatever its length says
  beast::flat_buffer buffer;
  http::read(client.socket(), buffer, parser);
  CHECK(parser.get().result_int() == 200);
  CHECK(parser.get()[http::field::content_length] == "16");  // "HEAD /x ?  |  | "
  // The connection is still in step: the next answer reads cleanly.
  CHECK(client.Send(http::verb::get, "/y").body() == "GET /y ?  |  | ");
}

TEST_CASE("Stop closes the connections and the port - a bad address is refused", "[http][server]") {
  auto server = HttpServer::Start("127.0.0.1:0", Echo);
  REQUIRE(server.ok());
  const int port = (*server)->port();
  Client client(port);
  CHECK(client.Send(http::verb::get, "/x").result_int() == 200);
  (*server)->Stop();
  (*server)->Stop();  // idempotent
  CHECK(client.ClosedByServer());
  asio::io_context ioc;
  tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  CHECK(ec);

  CHECK(HttpServer::Start("no-port", Echo).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(HttpServer::Start("127.0.0.1:99999", Echo).status().code() == absl::StatusCode::kInvalidArgument);
  auto first = HttpServer::Start("127.0.0.1:0", Echo);
  REQUIRE(first.ok());
  CHECK(HttpServer::Start(absl::StrCat("127.0.0.1:", (*first)->port()), Echo).status().code() ==
        absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cityops::common
