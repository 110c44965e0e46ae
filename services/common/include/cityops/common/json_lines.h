#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Line numbers for errors in JSON files shipped as configuration (scenarios,
// playbooks): where each value of the text starts, by JSON pointer.
namespace cityops::common {

// The line each value of a (valid) JSON text starts on, by JSON pointer
// ("/steps/2/fault"); an object member's line is its key's. The index keeps
// the lines only, not the text.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);

  // The line of `pointer`, or of its nearest parent known; 1 at worst.
  int LineOf(std::string pointer) const;

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void Skip();
  std::string String();
  void Value(const std::string& path);

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  int depth_ = 0;
  std::map<std::string, int> lines_;
};

// The JSON pointer of a field path as JsonReader writes it:
// "playbooks[1].actions[0].kind" -> "/playbooks/1/actions/0/kind";
// "" and "(top)" -> "".
std::string FieldPathToPointer(std::string_view path);

// Parses `text`; INVALID_ARGUMENT "<document>:<line>: not valid JSON (<what>)"
// when it is not, the line of the byte where parsing stopped.
absl::StatusOr<nlohmann::json> ParseJsonWithLine(std::string_view text, std::string_view document);

// Adds the line to a JsonReader error "<document>: <path>: <problem>":
// "<document>:<line>: <path>: <problem>". Other statuses pass unchanged.
absl::Status WithLine(const absl::Status& status, std::string_view document, const LineIndex& lines);

}  // namespace cityops::common
