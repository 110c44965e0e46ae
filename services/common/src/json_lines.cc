#include "cityops/common/json_lines.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cityops::common {

LineIndex::LineIndex(std::string_view text) : text_(text) {
  Skip();
  Value("");
  text_ = {};
}

int LineIndex::LineOf(std::string pointer) const {
  while (true) {
    const auto it = lines_.find(pointer);
    if (it != lines_.end()) return it->second;
    const size_t slash = pointer.rfind('/');
    if (slash == std::string::npos) return 1;
    pointer.resize(slash);
  }
}

void LineIndex::Skip() {
  while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
}

std::string LineIndex::String() {
  std::string out;
  ++pos_;  // opening quote
  while (!AtEnd() && text_[pos_] != '"') {
    if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
      out += text_[pos_ + 1];
      pos_ += 2;
      continue;
    }
    out += text_[pos_++];
  }
  ++pos_;  // closing quote
  return out;
}

void LineIndex::Value(const std::string& path) {
  if (AtEnd() || ++depth_ > 256) return;
  lines_.emplace(path, line_);
  const char c = text_[pos_];
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++pos_;
    Skip();
    size_t index = 0;
    while (!AtEnd() && text_[pos_] != close) {
      std::string child;
      if (c == '{') {
        const std::string key = String();
        // JSON pointer escaping: ~ as ~0, / as ~1.
        std::string escaped;
        for (const char k : key) {
          escaped += k == '~' ? std::string("~0") : k == '/' ? std::string("~1") : std::string(1, k);
        }
        child = path + "/" + escaped;
        lines_.emplace(child, line_);
        Skip();
        if (!AtEnd() && text_[pos_] == ':') ++pos_;
        Skip();
      } else {
        child = absl::StrCat(path, "/", index++);
      }
      Value(child);
      Skip();
      if (!AtEnd() && text_[pos_] == ',') ++pos_;
      Skip();
    }
    ++pos_;
  } else if (c == '"') {
    String();
  } else {
    while (!AtEnd() && std::string_view(",]} \t\r\n").find(text_[pos_]) == std::string_view::npos) ++pos_;
  }
  --depth_;
}

std::string FieldPathToPointer(std::string_view path) {
  if (path == "(top)") return {};
  std::string out;
  bool start = true;  // at the start of a member name
  for (const char c : path) {
    if (c == '.') {
      start = true;
      continue;
    }
    if (c == '[') {
      out += '/';
      start = false;
      continue;
    }
    if (c == ']') continue;
    if (start) {
      out += '/';
      start = false;
    }
    out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  }
  return out;
}

absl::StatusOr<nlohmann::json> ParseJsonWithLine(std::string_view text, std::string_view document) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    const size_t byte = std::min<size_t>(e.byte, text.size());
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(byte), '\n'));
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..." -> after the first ": ".
    if (const size_t colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    return absl::InvalidArgumentError(absl::StrCat(std::string(document), ":", line, ": not valid JSON (", what, ")"));
  }
}

absl::Status WithLine(const absl::Status& status, std::string_view document, const LineIndex& lines) {
  if (status.ok()) return status;
  const std::string message(status.message());
  const std::string prefix = absl::StrCat(std::string(document), ": ");
  if (!absl::StartsWith(message, prefix)) return status;
  const std::string rest = message.substr(prefix.size());
  const size_t colon = rest.find(": ");
  if (colon == std::string::npos) return status;
  const int line = lines.LineOf(FieldPathToPointer(rest.substr(0, colon)));
  return absl::Status(status.code(), absl::StrCat(std::string(document), ":", line, ": ", rest));
}

}  // namespace cityops::common
