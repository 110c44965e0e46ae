#include "domain/statistics.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace cityops::calls {

namespace {

void Put(const std::map<std::string, int64_t>& counts, google::protobuf::RepeatedPtrField<v1::Count>* out) {
  for (const auto& [key, n] : counts) {
    v1::Count& c = *out->Add();
    c.set_key(key);
    c.set_count(n);
  }
}

std::string_view ChannelName(v1::RequestChannel channel) {
  switch (channel) {
    case v1::REQUEST_CHANNEL_PHONE:
      return "phone";
    case v1::REQUEST_CHANNEL_APP:
      return "app";
    case v1::REQUEST_CHANNEL_WEB:
      return "web";
    default:
      return "unspecified";
  }
}

}  // namespace

std::string LocalDate(const common::LocalTimeRule& rule, common::TimePoint t) {
  const common::LocalTime local = common::ToLocal(rule, t);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(local.date.year()),
                static_cast<unsigned>(local.date.month()), static_cast<unsigned>(local.date.day()));
  return buf;
}

v1::Statistics Aggregate(const std::vector<RequestFacts>& requests, const common::LocalTimeRule& local_time) {
  std::map<std::string, int64_t> by_category, by_day, by_channel;
  std::map<int, int64_t> by_district;
  std::vector<double> to_close;
  v1::Statistics stats;
  for (const auto& r : requests) {
    ++by_category[r.category];
    ++by_district[r.district];
    ++by_day[LocalDate(local_time, r.created_at)];
    ++by_channel[std::string(ChannelName(r.channel))];
    if (r.closed_at) {
      to_close.push_back(std::chrono::duration<double>(*r.closed_at - r.created_at).count());
    }
    if (r.linked_to_known_incident) stats.set_linked(stats.linked() + 1);
  }
  stats.set_total(static_cast<int64_t>(requests.size()));
  stats.set_closed(static_cast<int64_t>(to_close.size()));
  Put(by_category, stats.mutable_by_category());
  for (const auto& [district, n] : by_district) {
    v1::Count& c = *stats.add_by_district();
    c.set_key(std::to_string(district));
    c.set_count(n);
  }
  Put(by_day, stats.mutable_by_day());
  Put(by_channel, stats.mutable_by_channel());
  if (!to_close.empty()) {
    std::sort(to_close.begin(), to_close.end());
    const size_t n = to_close.size();
    stats.set_median_seconds_to_close(n % 2 == 1 ? to_close[n / 2] : (to_close[n / 2 - 1] + to_close[n / 2]) / 2);
  }
  return stats;
}

}  // namespace cityops::calls
