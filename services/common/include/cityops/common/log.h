#pragma once

#include <string>
#include <string_view>

namespace cityops::common {

// Structured logs: one JSON object per line on stderr with ts, level, service
// and msg (msg escaped), through spdlog's default logger, so code logs with
// spdlog::info(...) and friends. level: trace, debug, info, warn, error.
void InitLogging(std::string_view service, std::string_view level);

// Escapes a string for use inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace cityops::common
