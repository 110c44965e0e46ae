#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace cityops::common {

// Structured logs: one JSON object per line on stderr with ts, level, service
// and msg (msg escaped), through spdlog's default logger, so code logs with
// spdlog::info(...) and friends. level: trace, debug, info, warn, error.
void InitLogging(std::string_view service, std::string_view level);

// Escapes a string for use inside a JSON string literal (quotes, backslashes
// and control characters escaped; invalid UTF-8 bytes become U+FFFD).
std::string JsonEscape(std::string_view text);

// The formatter InitLogging installs: {"ts":"2024-01-02T03:04:05.678Z","level":"info",
// "service":"...","logger":"...","thread":123,"msg":"..."} and a newline.
// (Exposed for tests and for services that add sinks.)
std::unique_ptr<spdlog::formatter> MakeJsonFormatter(std::string_view service);

}  // namespace cityops::common
