#include "cityops/common/paging.h"

#include <catch2/catch.hpp>

#include "cityops/common/proto_time.h"

namespace cityops::common {
namespace {

TEST_CASE("A page token carries the time and id it was made of", "[paging]") {
  const TimePoint t = FromEpochMicros(1795000000123456);
  auto cursor = ParsePageToken(MakePageToken(t, "INC-00000042"), "INC-");
  REQUIRE(cursor.ok());
  CHECK(cursor->after_time == t);
  CHECK(cursor->after_id == "INC-00000042");
  auto first = ParsePageToken("", "INC-");
  REQUIRE(first.ok());
  CHECK(first->after_id.empty());
}

TEST_CASE("A token this service did not write is INVALID_ARGUMENT", "[paging]") {
  for (const std::string token :
       {"garbage", "123", ":INC-1", "12x:INC-1", "123:WO-1", "123:INC-", "123:INC-12a", "123:INC-1'; DROP TABLE x"}) {
    INFO(token);
    CHECK(ParsePageToken(token, "INC-").status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Page sizes and id numbers", "[paging]") {
  CHECK(*PageSize(0, 100, 500) == 100);
  CHECK(*PageSize(500, 100, 500) == 500);
  CHECK(PageSize(501, 100, 500).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(PageSize(-1, 100, 500).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(*IdNumber("WO-00000017", "WO-") == 17);
  CHECK(IdNumber("WO-17x", "WO-").status().code() == absl::StatusCode::kDataLoss);
  CHECK(IdNumber("INC-1", "WO-").status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cityops::common
