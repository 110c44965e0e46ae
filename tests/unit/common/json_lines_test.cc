#include "cityops/common/json_lines.h"

#include <catch2/catch.hpp>

#include <string>

namespace cityops::common {
namespace {

const std::string kText = R"({
  "name": "x",
  "steps": [
    {"at": "1s",
     "fault": "LAMP_FAILURE"},
    {
      "a/b": {"~c": 1}
    }
  ],
  "empty": []
})";

TEST_CASE("LineIndex: the line of each value by JSON pointer", "[json_lines]") {
  const LineIndex lines(kText);
  CHECK(lines.LineOf("") == 1);
  CHECK(lines.LineOf("/name") == 2);
  CHECK(lines.LineOf("/steps") == 3);
  CHECK(lines.LineOf("/steps/0") == 4);
  CHECK(lines.LineOf("/steps/0/at") == 4);
  CHECK(lines.LineOf("/steps/0/fault") == 5);
  CHECK(lines.LineOf("/steps/1") == 6);
  // Escaped keys: '/' as ~1, '~' as ~0.
  CHECK(lines.LineOf("/steps/1/a~1b") == 7);
  CHECK(lines.LineOf("/steps/1/a~1b/~0c") == 7);
  CHECK(lines.LineOf("/empty") == 10);
  // Unknown: the nearest parent known, else line 1.
  CHECK(lines.LineOf("/steps/0/nothing") == 4);
  CHECK(lines.LineOf("/steps/9/at") == 3);
  CHECK(lines.LineOf("/nothing") == 1);
}

TEST_CASE("LineIndex: field paths as JsonReader writes them", "[json_lines]") {
  CHECK(FieldPathToPointer("").empty());
  CHECK(FieldPathToPointer("(top)").empty());
  CHECK(FieldPathToPointer("playbooks") == "/playbooks");
  CHECK(FieldPathToPointer("playbooks[1].actions[0].kind") == "/playbooks/1/actions/0/kind");
  CHECK(FieldPathToPointer("a.b[2][3].c") == "/a/b/2/3/c");
}

TEST_CASE("LineIndex: a JsonReader error gets its line", "[json_lines]") {
  const LineIndex lines(kText);
  CHECK(WithLine(absl::InvalidArgumentError("f.json: steps[0].fault: unknown fault"), "f.json", lines).message() ==
        "f.json:5: steps[0].fault: unknown fault");
  CHECK(WithLine(absl::InvalidArgumentError("f.json: (top): must be an object"), "f.json", lines).message() ==
        "f.json:1: (top): must be an object");
  // Another document's message, or OK, pass unchanged.
  CHECK(WithLine(absl::InvalidArgumentError("g.json: name: bad"), "f.json", lines).message() == "g.json: name: bad");
  CHECK(WithLine(absl::OkStatus(), "f.json", lines).ok());
}

TEST_CASE("LineIndex: text that is not JSON names the line where parsing stopped", "[json_lines]") {
  auto parsed = ParseJsonWithLine("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3\n}", "f.json");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(parsed.status().message()).find("f.json:4: not valid JSON (") == 0);
  auto good = ParseJsonWithLine("{\"a\": [1, 2]}", "f.json");
  REQUIRE(good.ok());
  CHECK((*good)["a"].size() == 2);
}

}  // namespace
}  // namespace cityops::common
