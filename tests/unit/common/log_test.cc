#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cityops/common/log.h"
#include "cityops/common/status.h"

using cityops::common::JsonEscape;

namespace {

std::string ParseBack(const std::string& text) {
  return nlohmann::json::parse("\"" + JsonEscape(text) + "\"").get<std::string>();
}

}  // namespace

TEST_CASE("JsonEscape escapes quotes, backslashes and control characters", "[log]") {
  CHECK(JsonEscape("plain") == "plain");
  CHECK(JsonEscape("a\"b") == "a\\\"b");
  CHECK(JsonEscape("a\\b") == "a\\\\b");
  CHECK(JsonEscape("l1\nl2\tx\r") == "l1\\nl2\\tx\\r");
  CHECK(JsonEscape(std::string("nul\0x", 5)) == "nul\\u0000x");
  CHECK(JsonEscape("\x01\x1f") == "\\u0001\\u001f");
}

TEST_CASE("JsonEscape output parses back to the same text", "[log]") {
  for (const std::string text : {"", "héllo wörld €", "\"'; DROP TABLE x; --", "tab\there\nnew line",
                                 "emoji \xF0\x9F\x9A\xA6", "back\\slash \\u0041"}) {
    INFO(text);
    CHECK(ParseBack(text) == text);
  }
}

TEST_CASE("JsonEscape replaces invalid UTF-8 so the line stays valid JSON", "[log]") {
  for (const std::string bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "x\x80y"}) {
    const std::string escaped = JsonEscape(bad);
    INFO(escaped);
    CHECK_NOTHROW(nlohmann::json::parse("\"" + escaped + "\""));
    CHECK(escaped.find("\\ufffd") != std::string::npos);
  }
}

TEST_CASE("Each log line is one JSON object with ts, level, service and msg", "[log]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("", sink);
  logger.set_formatter(cityops::common::MakeJsonFormatter("svc \"q\""));
  logger.set_level(spdlog::level::trace);
  logger.info("asset {} says \"{}\"\nsecond line", 42, "hot\\cold");
  logger.warn("two");

  std::istringstream lines(out.str());
  std::string line;
  REQUIRE(std::getline(lines, line));
  const auto first = nlohmann::json::parse(line);
  CHECK(first.at("level") == "info");
  CHECK(first.at("service") == "svc \"q\"");
  CHECK(first.at("msg") == "asset 42 says \"hot\\cold\"\nsecond line");
  const std::string ts = first.at("ts");
  CHECK(ts.size() == 24);
  CHECK(ts.back() == 'Z');
  CHECK(ts[10] == 'T');
  REQUIRE(std::getline(lines, line));
  CHECK(nlohmann::json::parse(line).at("level") == "warn");
  CHECK_FALSE(std::getline(lines, line));
}

TEST_CASE("absl and gRPC statuses map both ways keeping code and message", "[status]") {
  const absl::Status original = absl::NotFoundError("asset 7 unknown");
  const grpc::Status g = cityops::common::ToGrpcStatus(original);
  CHECK(g.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(g.error_message() == "asset 7 unknown");
  CHECK(cityops::common::FromGrpcStatus(g) == original);
  CHECK(cityops::common::ToGrpcStatus(absl::OkStatus()).ok());
  CHECK(cityops::common::FromGrpcStatus(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "full")).code() ==
        absl::StatusCode::kResourceExhausted);
}
