// lighting_bench: lighting-control's planner on a generated city, pure domain
// (lighting_control_domain), nothing running: the time to plan the whole city
// per tick and to turn the plan into commands, and the memory it takes.
//
// The city, for each --points N (by default 34,000, Dijon, and 340,000, ten
// times): 30 light points per cabinet, the cabinets in 24 districts in
// contiguous blocks, 3 streets per cabinet (the last shared with the next
// cabinet), points shuffled before indexing (the registry's order is not the
// planner's). Six profiles (the three shipped in config/lighting.json and
// three variants), one per district in turn; every 50th street on the
// residential profile, so some cabinets are mixed; two overrides active
// throughout (a crisis on one light point, an operator's on one street).
//
// A tick is Planner::Plan (every point's level) then CommandState::Diff (the
// commands, grouped per cabinet section). Timed, one tick at a time:
//   steady:        the clock moves 1 s, nothing changes (no command);
//   district on:   an operator override of one district starts (one
//                  cabinet-wide command per cabinet of that district);
//   district off:  the same override cancelled (the schedule comes back);
//   22:30 step:    22:29:59 <-> 22:30:00, the standard profile's dimming step
//                  (its districts change, a sixth of the city);
//   city override: a crisis override of the whole city starts, then is
//                  cancelled (every cabinet changes: the largest diff);
//   night change:  11:59:59 <-> 12:00:00 local, a new night: which profile
//                  holds where is worked out again for every point.
// Also: building the index and the planner, the confirmation tracker's share
// (recording a district's commands; one scan of every point for timeouts,
// the field having confirmed all but the last district's commands), and
// VmRSS / VmHWM of this process (/proc/self/status).
//
// Usage: lighting_bench [--json FILE] [--points N]... [--ticks N] [--changes N] [--seed N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.h"
#include "domain/city_index.h"
#include "domain/confirmation.h"
#include "domain/lighting_config.h"
#include "domain/planner.h"

namespace {

using namespace cityops::bench;  // NOLINT(google-build-using-namespace): the bench's own toolbox
namespace lighting = cityops::lighting;
using lighting::TimePoint;

// The brief's bars for this part: well under 10 ms per tick at Dijon's
// 34,000 points and well under 100 ms at 340,000; under 100 MB resident at
// Dijon scale (for the whole service; this is the domain alone).
constexpr double kBarDijonTickMs = 10.0;
constexpr double kBarTenTimesTickMs = 100.0;
constexpr double kBarRssMb = 100.0;
constexpr int kPointsPerCabinet = 30;
constexpr int kDistricts = 24;

struct Options {
  std::string json_path;
  std::vector<uint64_t> points;
  size_t ticks = 1000;
  size_t changes = 240;
  uint64_t seed = 1;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "lighting_bench: " << problem << "\n"
            << "usage: lighting_bench [--json FILE] [--points N]... [--ticks N] [--changes N] [--seed N]\n"
            << "  --points N   light points of a city to plan (repeatable; default 34000 and 340000)\n"
            << "  --ticks N    steady ticks timed (default 1000)\n"
            << "  --changes N  district overrides started and cancelled (default 240)\n";
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (const auto& [name, v] : SplitFlags(argc, argv, {}, Usage)) {
    if (name == "json") {
      o.json_path = v;
    } else if (name == "points") {
      o.points.push_back(CountFlag(name, v, Usage));
    } else if (name == "ticks") {
      o.ticks = CountFlag(name, v, Usage);
    } else if (name == "changes") {
      o.changes = CountFlag(name, v, Usage);
    } else if (name == "seed") {
      o.seed = CountFlag(name, v, Usage);
    } else {
      Usage("unknown flag --" + name);
    }
  }
  if (o.points.empty()) o.points = {34'000, 340'000};
  for (uint64_t n : o.points) {
    if (n < kPointsPerCabinet * kDistricts || n > 5'000'000) Usage("--points must be within 720..5000000");
  }
  if (o.ticks < 10 || o.ticks > 1'000'000) Usage("--ticks must be within 10..1000000");
  if (o.changes < 10 || o.changes > 100'000) Usage("--changes must be within 10..100000");
  return o;
}

double Millis(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double RssMb() { return StatusMb(getpid(), "VmRSS"); }
double HwmMb() { return StatusMb(getpid(), "VmHWM"); }

// p50, p99, max and mean of a set of milliseconds.
json Summary(const std::vector<double>& v) {
  if (v.empty()) return {{"count", 0}};
  double sum = 0;
  for (double x : v) sum += x;
  return {{"count", v.size()},
          {"p50", Round3(Percentile(v, 50))},
          {"p99", Round3(Percentile(v, 99))},
          {"max", Round3(Percentile(v, 100))},
          {"mean", Round3(sum / static_cast<double>(v.size()))}};
}

std::string Numbered(const char* prefix, size_t n, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s%0*zu", prefix, width, n);
  return buffer;
}

std::vector<lighting::LightPoint> GenerateCity(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const size_t cabinets = (n + kPointsPerCabinet - 1) / kPointsPerCabinet;
  std::vector<lighting::LightPoint> points;
  points.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = i / kPointsPerCabinet, j = i % kPointsPerCabinet;
    const double rated = 30 + static_cast<double>(rng() % 16);
    points.push_back({Numbered("LP-", i, 7), Numbered("CAB-", c, 5), 1 + static_cast<int>(c * kDistricts / cabinets),
                      Numbered("street-", c * 2 + j * 3 / kPointsPerCabinet, 6), rated,
                      rated * (2.5 + static_cast<double>(rng() % 8) / 10.0)});
  }
  std::shuffle(points.begin(), points.end(), rng);
  return points;
}

lighting::DimmingProfile Variant(std::string id, std::vector<std::pair<std::string, int>> steps, int first_offset = 0) {
  lighting::DimmingProfile p{std::move(id), "bench variant", {}};
  for (const auto& [at, level] : steps) {
    auto step = lighting::ParseAnchor(at, "at");
    if (!step.ok()) throw std::runtime_error(step.status().ToString());
    step->level = level;
    p.steps.push_back(*step);
  }
  p.steps.front().offset_min = first_offset;
  return p;
}

void Require(const absl::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(std::string(what) + ": " + s.ToString());
}

// One size, end to end.
json RunSize(size_t n, const Options& o, const lighting::LightingConfig& config) {
  json out;
  out["points"] = n;
  const double rss_before = RssMb();

  const auto g0 = SteadyClock::now();
  std::vector<lighting::LightPoint> generated = GenerateCity(n, o.seed);
  const auto g1 = SteadyClock::now();
  auto built = lighting::CityIndex::Build(std::move(generated));
  Require(built.status(), "CityIndex::Build");
  const lighting::CityIndex city = *std::move(built);
  const auto g2 = SteadyClock::now();

  std::vector<lighting::DimmingProfile> profiles = config.profiles;
  profiles.push_back(Variant("standard-2300", {{"sunset", 100}, {"23:00", 50}, {"05:30", 100}, {"sunrise", 0}}));
  profiles.push_back(Variant("eco", {{"sunset", 80}, {"21:30", 30}, {"06:00", 80}, {"sunrise", 0}}));
  profiles.push_back(Variant("late", {{"sunset", 100}, {"23:30", 60}, {"05:00", 100}, {"sunrise", 0}}, 15));
  auto created = lighting::Planner::Create(city, config.Clock(), profiles, config.default_profile);
  Require(created.status(), "Planner::Create");
  lighting::Planner planner = *std::move(created);
  for (int d = 1; d <= kDistricts; ++d) {
    Require(planner.AssignProfile(lighting::Scope::District(d), profiles[static_cast<size_t>(d) % profiles.size()].id),
            "AssignProfile");
  }
  for (lighting::StreetIndex s = 0; s < city.street_count(); s += 50) {
    Require(planner.AssignProfile(lighting::Scope::Street(city.street_name(s)), "residential"), "AssignProfile");
  }
  const TimePoint t0 = lighting::LocalToUtc({2025, 11, 20}, 19 * 60, config.local_time);
  const auto overrides_at = t0 - std::chrono::hours(1);
  lighting::Override crisis{"crisis-1",
                            lighting::Scope::Point(city.point_id(static_cast<lighting::PointIndex>(n / 3))),
                            100,
                            "burst water main",
                            overrides_at,
                            t0 + std::chrono::hours(48),
                            lighting::OverrideSource::kCrisis,
                            "bench"};
  lighting::Override street{"works-1",
                            lighting::Scope::Street(city.street_name(7)),
                            40,
                            "road works",
                            overrides_at,
                            t0 + std::chrono::hours(48),
                            lighting::OverrideSource::kOperator,
                            "bench"};
  Require(planner.AddOverride(crisis, overrides_at), "AddOverride");
  Require(planner.AddOverride(street, overrides_at), "AddOverride");

  lighting::CommandState state(city);
  lighting::ConfirmationTracker tracker(city, config.confirmation);
  lighting::CityLevels levels;
  lighting::CommandBatch batch;
  batch.commands.reserve(city.section_count());
  batch.points.reserve(city.point_count());
  const auto g3 = SteadyClock::now();

  size_t mixed_sections = 0;
  struct Tick {
    double plan_ms, diff_ms;
  };
  const auto tick = [&](TimePoint t) {
    const auto a = SteadyClock::now();
    planner.Plan(t, levels);
    const auto b = SteadyClock::now();
    state.Diff(levels, batch);
    const auto c = SteadyClock::now();
    return Tick{Millis(b - a), Millis(c - b)};
  };

  // The field confirms every command at once (so that the tracker's scan
  // below finds only what is really pending).
  const auto confirm_all = [&](TimePoint at) {
    tracker.OnCommands(batch, at);
    for (const auto& c : batch.commands) {
      if (c.whole_section) {
        const auto& section = city.section(c.section);
        for (lighting::PointIndex p = section.begin; p < section.end; ++p) tracker.OnReading(p, c.level, at);
      } else {
        for (const auto& pl : batch.PointsOf(c)) tracker.OnReading(pl.point, pl.level, at);
      }
    }
  };

  // The first tick: nothing commanded yet, every point is.
  const Tick first = tick(t0);
  confirm_all(t0);
  for (uint8_t s : levels.sections) mixed_sections += s == lighting::kMixedLevel ? 1 : 0;
  out["first_tick"] = {{"plan_ms", Round3(first.plan_ms)},
                       {"diff_ms", Round3(first.diff_ms)},
                       {"commands", batch.commands.size()},
                       {"points_commanded", batch.PointsCovered(city)}};
  out["city"] = {{"cabinets", city.cabinet_count()},
                 {"sections", city.section_count()},
                 {"mixed_sections", mixed_sections},
                 {"streets", city.street_count()},
                 {"districts", city.district_count()},
                 {"profiles", profiles.size()},
                 {"active_overrides", planner.ActiveOverrides(t0).size()}};
  out["setup_ms"] = {
      {"generate", Round1(Millis(g1 - g0))}, {"index", Round1(Millis(g2 - g1))}, {"planner", Round1(Millis(g3 - g2))}};

  // Steady: nothing changes.
  std::vector<double> plan_ms, diff_ms, total_ms;
  size_t stray = 0;
  for (size_t i = 1; i <= o.ticks; ++i) {
    const Tick k = tick(t0 + std::chrono::seconds(i));
    stray += batch.commands.size();
    plan_ms.push_back(k.plan_ms);
    diff_ms.push_back(k.diff_ms);
    total_ms.push_back(k.plan_ms + k.diff_ms);
  }
  if (stray != 0) throw std::runtime_error("steady ticks sent " + std::to_string(stray) + " commands");
  out["steady"] = {{"ticks", o.ticks},
                   {"plan_ms", Summary(plan_ms)},
                   {"diff_ms", Summary(diff_ms)},
                   {"tick_ms", Summary(total_ms)},
                   {"what", "the clock moves 1 s, nothing changes: Plan + Diff, no command"}};

  // District overrides starting, then cancelled.
  std::vector<double> on_ms, off_ms, record_ms;
  size_t on_commands = 0, on_points = 0, off_commands = 0;
  TimePoint t = t0 + std::chrono::seconds(o.ticks + 10);
  for (size_t k = 0; k < o.changes; ++k) {
    const int district = 1 + static_cast<int>(k % kDistricts);
    const std::string id = "district-" + std::to_string(k);
    t += std::chrono::seconds(2);
    Require(planner.AddOverride({id, lighting::Scope::District(district), 25, "event", t, t + std::chrono::hours(1),
                                 lighting::OverrideSource::kOperator, "bench"},
                                t),
            "AddOverride");
    const Tick a = tick(t);
    const auto& d = city.district(*city.FindDistrict(district));
    if (batch.commands.size() != d.section_end - d.section_begin) {
      throw std::runtime_error("district " + std::to_string(district) + ": " + std::to_string(batch.commands.size()) +
                               " commands for " + std::to_string(d.section_end - d.section_begin) + " cabinets");
    }
    on_commands += batch.commands.size();
    on_points += batch.PointsCovered(city);
    on_ms.push_back(a.plan_ms + a.diff_ms);
    const auto r0 = SteadyClock::now();
    tracker.OnCommands(batch, t);
    record_ms.push_back(Millis(SteadyClock::now() - r0));
    Require(planner.CancelOverride(id), "CancelOverride");
    const Tick b = tick(t + std::chrono::seconds(1));
    off_commands += batch.commands.size();
    off_ms.push_back(b.plan_ms + b.diff_ms);
    if (k + 1 < o.changes) confirm_all(t + std::chrono::seconds(1));
  }
  // The last district's return to the schedule stays unconfirmed.
  tracker.OnCommands(batch, t + std::chrono::seconds(1));
  const size_t pending = tracker.waiting();
  out["district_override_starts"] = {
      {"tick_ms", Summary(on_ms)},
      {"commands_per_tick", Round1(static_cast<double>(on_commands) / static_cast<double>(o.changes))},
      {"points_per_tick", Round1(static_cast<double>(on_points) / static_cast<double>(o.changes))},
      {"what", "an operator override of one district (in turn) starts: one cabinet-wide command per cabinet of it"}};
  out["district_override_ends"] = {
      {"tick_ms", Summary(off_ms)},
      {"commands_per_tick", Round1(static_cast<double>(off_commands) / static_cast<double>(o.changes))}};

  // The city-wide dimming step at 22:30, back and forth.
  const TimePoint before_step =
      lighting::LocalToUtc({2025, 11, 20}, 22 * 60 + 30, config.local_time) - std::chrono::seconds(1);
  std::vector<double> step_ms;
  size_t step_commands = 0;
  tick(before_step);
  for (size_t k = 0; k < 50; ++k) {
    const Tick a = tick(before_step + std::chrono::seconds(1 - static_cast<int>(k % 2)));
    step_commands += batch.commands.size();
    step_ms.push_back(a.plan_ms + a.diff_ms);
  }
  out["step_2230"] = {{"tick_ms", Summary(step_ms)},
                      {"commands_per_tick", Round1(static_cast<double>(step_commands) / 50.0)},
                      {"what", "22:29:59 <-> 22:30:00: the districts on the standard profile dim to 50%"}};

  // The whole city under a crisis override, then back.
  std::vector<double> city_on_ms, city_off_ms;
  size_t city_commands = 0;
  const TimePoint t_city = before_step + std::chrono::minutes(10);
  tick(t_city - std::chrono::seconds(1));
  for (size_t k = 0; k < 20; ++k) {
    const std::string id = "city-" + std::to_string(k);
    const TimePoint at = t_city + std::chrono::seconds(2 * static_cast<int>(k));
    Require(planner.AddOverride({id, lighting::Scope::City(), 0, "blackout drill", at, at + std::chrono::hours(1),
                                 lighting::OverrideSource::kCrisis, "bench"},
                                at),
            "AddOverride");
    const Tick a = tick(at);
    city_commands += batch.commands.size();
    city_on_ms.push_back(a.plan_ms + a.diff_ms);
    Require(planner.CancelOverride(id), "CancelOverride");
    const Tick b = tick(at + std::chrono::seconds(1));
    city_off_ms.push_back(b.plan_ms + b.diff_ms);
  }
  out["city_override"] = {{"starts_tick_ms", Summary(city_on_ms)},
                          {"ends_tick_ms", Summary(city_off_ms)},
                          {"commands_per_tick", Round1(static_cast<double>(city_commands) / 20.0)},
                          {"what", "a crisis override of the whole city at 0% starts, then is cancelled"}};

  // A new night: the per-point profiles are worked out again.
  const TimePoint before_noon =
      lighting::LocalToUtc({2025, 11, 21}, 12 * 60, config.local_time) - std::chrono::seconds(1);
  std::vector<double> night_ms;
  for (size_t k = 0; k < 20; ++k) {
    const Tick a = tick(before_noon + std::chrono::seconds(static_cast<int>(k % 2)));
    night_ms.push_back(a.plan_ms + a.diff_ms);
  }
  out["night_change"] = {{"tick_ms", Summary(night_ms)},
                         {"what", "11:59:59 <-> 12:00:00 local: a new night, the schedule of every point rebuilt"}};

  // The confirmation tracker: a district's commands recorded, and one scan
  // for timeouts (the last district's commands pending, the rest confirmed).
  std::vector<lighting::NotApplied> faults;
  const auto c0 = SteadyClock::now();
  tracker.Check(t + std::chrono::seconds(2), faults);  // nothing due yet
  const auto c1 = SteadyClock::now();
  tracker.Check(t + std::chrono::hours(1), faults);  // the pending ones raised
  const auto c2 = SteadyClock::now();
  out["tracker"] = {{"record_district_commands_ms", Summary(record_ms)},
                    {"pending", pending},
                    {"check_scan_nothing_due_ms", Round3(Millis(c1 - c0))},
                    {"check_raising_pending_ms", Round3(Millis(c2 - c1))},
                    {"not_applied_raised", faults.size()}};

  out["memory"] = {{"vmrss_mb_before", rss_before},
                   {"vmrss_mb_after", RssMb()},
                   {"vmrss_mb_added", Round1(RssMb() - rss_before)},
                   {"vmhwm_mb", HwmMb()},
                   {"what",
                    "this process: VmRSS before generating the city and after the runs; VmHWM its peak so far "
                    "(the generated city's strings included)"}};
  return out;
}

void Print(const json& r) {
  const auto& s = r["steady"]["tick_ms"];
  const auto& on = r["district_override_starts"]["tick_ms"];
  std::cout << std::fixed << std::setprecision(3) << "\n"
            << r["points"].get<size_t>() << " light points, " << r["city"]["sections"].get<size_t>()
            << " cabinet sections (" << r["city"]["mixed_sections"].get<size_t>() << " mixed), "
            << r["city"]["districts"].get<size_t>() << " districts\n"
            << "  steady tick:        p50 " << s["p50"].get<double>() << " ms, p99 " << s["p99"].get<double>()
            << " ms, max " << s["max"].get<double>() << " ms\n"
            << "  district override:  p50 " << on["p50"].get<double>() << " ms, p99 " << on["p99"].get<double>()
            << " ms, " << r["district_override_starts"]["commands_per_tick"].get<double>() << " commands per tick\n"
            << "  22:30 step:         p50 " << r["step_2230"]["tick_ms"]["p50"].get<double>() << " ms, "
            << r["step_2230"]["commands_per_tick"].get<double>() << " commands per tick\n"
            << "  city override:      p50 " << r["city_override"]["starts_tick_ms"]["p50"].get<double>() << " ms, p99 "
            << r["city_override"]["starts_tick_ms"]["p99"].get<double>() << " ms, "
            << r["city_override"]["commands_per_tick"].get<double>() << " commands per tick\n"
            << "  new night:          p50 " << r["night_change"]["tick_ms"]["p50"].get<double>() << " ms\n"
            << "  first tick:         "
            << r["first_tick"]["plan_ms"].get<double>() + r["first_tick"]["diff_ms"].get<double>() << " ms, "
            << r["first_tick"]["commands"].get<size_t>() << " commands\n"
            << std::setprecision(1) << "  memory: VmRSS +" << r["memory"]["vmrss_mb_added"].get<double>()
            << " MiB (now " << r["memory"]["vmrss_mb_after"].get<double>() << "), VmHWM "
            << r["memory"]["vmhwm_mb"].get<double>() << " MiB\n";
}

int Run(const Options& o) {
  auto config = lighting::LightingConfig::FromJson(lighting::DefaultLightingConfigJson());
  Require(config.status(), "lighting config");
  json out;
  out["date"] = UtcNow();
  out["machine"] = MachineInfo();
  out["seed"] = o.seed;
  json sizes = json::array();
  json bars = json::object();
  for (uint64_t n : o.points) {
    json r = RunSize(n, o, *config);
    Print(r);
    const double bar = n <= 34'000 ? kBarDijonTickMs : kBarTenTimesTickMs;
    const double worst_p99 = std::max(r["steady"]["tick_ms"]["p99"].get<double>(),
                                      r["district_override_starts"]["tick_ms"]["p99"].get<double>());
    bars[std::to_string(n)] = {{"tick_p99_ms", worst_p99}, {"tick_ms_max", bar}, {"tick_ok", worst_p99 < bar}};
    if (n == 34'000) {
      bars["34000"]["rss_mb_max"] = kBarRssMb;
      bars["34000"]["rss_ok"] = r["memory"]["vmhwm_mb"].get<double>() < kBarRssMb;
    }
    sizes.push_back(std::move(r));
  }
  out["sizes"] = sizes;
  out["bars"] = bars;
  if (!o.json_path.empty()) WriteJson(o.json_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName("lighting_bench");
  const Options options = ParseOptions(argc, argv);
  return BenchMain([&] { return Run(options); });
}
