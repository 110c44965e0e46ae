#include "domain/confirmation.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;

const TimePoint kT0 = Utc(2025, 11, 20, 18);

struct World {
  World() : city(Index(SmallCityPoints())), tracker(city, {2.0, 120s}) {}

  PointIndex P(const std::string& id) const { return *city.FindPoint(id); }
  // cab-1 (p1..p4) all to `level`.
  void CommandCabinet1(int level, TimePoint at) {
    CommandBatch batch;
    batch.commands.push_back({city.FindCabinet("cab-1")[0], true, static_cast<uint8_t>(level), 0, 0});
    tracker.OnCommands(batch, at);
  }
  void CommandPoint(const std::string& id, int level, TimePoint at) {
    CommandBatch batch;
    batch.points.push_back({P(id), static_cast<uint8_t>(level)});
    batch.commands.push_back({city.section_of(P(id)), false, 0, 0, 1});
    tracker.OnCommands(batch, at);
  }
  std::vector<std::string> Faults(TimePoint now) {
    std::vector<NotApplied> out;
    tracker.Check(now, out);
    std::vector<std::string> ids;
    for (const auto& f : out) ids.push_back(city.point_id(f.point));
    std::sort(ids.begin(), ids.end());
    last = out;
    return ids;
  }

  CityIndex city;
  ConfirmationTracker tracker;
  std::vector<NotApplied> last;
};

using Ids = std::vector<std::string>;

TEST_CASE("Points not confirmed within the timeout are reported once", "[confirmation]") {
  World w;
  w.CommandCabinet1(50, kT0);
  CHECK(w.tracker.waiting() == 4);
  w.tracker.OnReading(w.P("p1"), 49.0, kT0 + 10s);  // within +-2
  w.tracker.OnReading(w.P("p2"), 52.0, kT0 + 10s);  // within +-2
  w.tracker.OnReading(w.P("p3"), 20.0, kT0 + 10s);  // off
  CHECK(w.tracker.confirmed(w.P("p1")));
  CHECK(w.tracker.confirmed(w.P("p2")));
  CHECK(w.tracker.waiting() == 2);
  CHECK(w.Faults(kT0 + 119s).empty());
  CHECK(w.Faults(kT0 + 120s) == Ids{"p3", "p4"});
  for (const auto& f : w.last) {
    CHECK(f.commanded == 50);
    CHECK(f.since == kT0);
    if (w.city.point_id(f.point) == "p3") CHECK(f.last_reading == Approx(20.0));
    if (w.city.point_id(f.point) == "p4") CHECK_FALSE(f.last_reading.has_value());
  }
  CHECK(w.tracker.faulted() == 2);
  CHECK(w.tracker.not_at_level() == 2);
  // Not again, however long it stays wrong.
  CHECK(w.Faults(kT0 + 200s).empty());
  w.tracker.OnReading(w.P("p3"), 21.0, kT0 + 300s);
  CHECK(w.Faults(kT0 + 1h).empty());
}

TEST_CASE("A new command, or a confirmation then a new miss, can raise the point again", "[confirmation]") {
  World w;
  w.CommandCabinet1(50, kT0);
  w.tracker.OnReading(w.P("p1"), 50.0, kT0 + 5s);
  w.tracker.OnReading(w.P("p2"), 50.0, kT0 + 5s);
  w.tracker.OnReading(w.P("p3"), 50.0, kT0 + 5s);
  CHECK(w.Faults(kT0 + 120s) == Ids{"p4"});

  // p4 gets a new command: it has a new wait, and is reported again.
  w.CommandPoint("p4", 30, kT0 + 300s);
  CHECK(w.Faults(kT0 + 419s).empty());
  CHECK(w.Faults(kT0 + 420s) == Ids{"p4"});

  // p1 was confirmed, then reads 10%: it has the timeout to come back.
  w.tracker.OnReading(w.P("p1"), 10.0, kT0 + 500s);
  CHECK(w.Faults(kT0 + 619s).empty());
  CHECK(w.Faults(kT0 + 620s) == Ids{"p1"});
  // It comes back: confirmed, no longer counted.
  w.tracker.OnReading(w.P("p1"), 50.5, kT0 + 700s);
  CHECK(w.tracker.confirmed(w.P("p1")));
  CHECK(w.tracker.not_at_level() == 1);  // p4

  // p2 reads wrong then right within the timeout: nothing raised.
  w.tracker.OnReading(w.P("p2"), 0.0, kT0 + 800s);
  w.tracker.OnReading(w.P("p2"), 49.0, kT0 + 850s);
  CHECK(w.Faults(kT0 + 1000s).empty());
}

TEST_CASE("Readings older than the command, and of points never commanded, confirm nothing", "[confirmation]") {
  World w;
  w.tracker.OnReading(w.P("p9"), 50.0, kT0);  // never commanded
  CHECK(w.tracker.not_at_level() == 0);
  w.CommandCabinet1(80, kT0 + 60s);
  w.tracker.OnReading(w.P("p1"), 80.0, kT0 + 30s);  // taken before the command
  CHECK_FALSE(w.tracker.confirmed(w.P("p1")));
  w.tracker.OnReading(w.P("p1"), 80.0, kT0 + 61s);
  CHECK(w.tracker.confirmed(w.P("p1")));
  CHECK(w.Faults(kT0 + 180s) == Ids{"p2", "p3", "p4"});
}

}  // namespace
TEST_CASE("Restored after a restart: confirmed points stay quiet, waiting ones time out from their command",
          "[confirmation]") {
  World w;
  w.tracker.Restore(w.P("p1"), 50, kT0, true, false);
  w.tracker.Restore(w.P("p2"), 50, kT0, false, false);
  w.tracker.Restore(w.P("p3"), 50, kT0, false, true);
  CHECK(w.tracker.waiting() == 1);
  CHECK(w.tracker.faulted() == 1);
  CHECK(w.tracker.reported(w.P("p3")));
  CHECK(w.Faults(kT0 + 119s).empty());
  CHECK(w.Faults(kT0 + 121s) == std::vector<std::string>{"p2"});
  // The reported one confirms: no longer reported.
  w.tracker.OnReading(w.P("p3"), 50, kT0 + 130s);
  CHECK(w.tracker.confirmed(w.P("p3")));
  CHECK_FALSE(w.tracker.reported(w.P("p3")));
}

}  // namespace cityops::lighting
