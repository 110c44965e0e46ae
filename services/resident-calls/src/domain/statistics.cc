#include "domain/statistics.h"

#include <cstdio>
#include <map>

namespace cityops::calls {

namespace {

std::string ChannelName(v1::RequestChannel channel) {
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

template <typename Key>
void Put(const std::map<Key, int64_t>& counts, google::protobuf::RepeatedPtrField<v1::Count>* out) {
  for (const auto& [key, n] : counts) {
    v1::Count& c = *out->Add();
    if constexpr (std::is_same_v<Key, std::string>) {
      c.set_key(key);
    } else {
      c.set_key(std::to_string(key));
    }
    c.set_count(n);
  }
}

}  // namespace

v1::Statistics Assemble(const GroupedCounts& counts, const common::LocalTimeRule& local_time) {
  v1::Statistics stats;
  stats.set_total(counts.total);
  stats.set_closed(counts.closed);
  stats.set_linked(counts.linked);
  stats.set_median_seconds_to_close(counts.median_seconds_to_close);
  std::map<std::string, int64_t> by_category(counts.by_category.begin(), counts.by_category.end());
  std::map<int, int64_t> by_district(counts.by_district.begin(), counts.by_district.end());
  std::map<std::string, int64_t> by_channel, by_day;
  for (const auto& [channel, n] : counts.by_channel) by_channel[ChannelName(channel)] += n;
  for (const auto& [slice, n] : counts.by_slice) by_day[common::LocalDate(local_time, slice)] += n;
  Put(by_category, stats.mutable_by_category());
  Put(by_district, stats.mutable_by_district());
  Put(by_day, stats.mutable_by_day());
  Put(by_channel, stats.mutable_by_channel());
  return stats;
}

}  // namespace cityops::calls
