#include "cityops/common/outbox.h"

#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kafka_internal.h"

namespace cityops::common {
namespace {

// How long a batch may wait for Kafka's confirmations before the relay gives
// up on it (the rows stay and are published again).
constexpr auto kBatchConfirmTimeout = std::chrono::seconds(30);

struct OutboxRow {
  int64_t id = 0;
  std::string topic;
  std::string key;
  std::string value;
  double created_at_epoch_s = 0;
};

// Outcome of each message of a batch, shared with the delivery callbacks
// (which may run after the relay stopped waiting).
struct BatchOutcome {
  explicit BatchOutcome(size_t n) : delivered(n, false), pending(n) {}
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<bool> delivered;
  size_t pending;
  absl::Status first_error;

  void Done(size_t index, const absl::Status& status) {
    std::lock_guard lock(mutex);
    if (status.ok()) {
      delivered[index] = true;
    } else if (first_error.ok()) {
      first_error = status;
    }
    if (--pending == 0) cv.notify_all();
  }
};

}  // namespace

void Outbox::Enqueue(pqxx::work& tx, std::string_view topic, std::string_view key, std::string_view value) {
  tx.exec_params("INSERT INTO outbox (topic, key, value) VALUES ($1, $2, $3)", std::string(topic),
                 pqxx::binarystring(key.data(), key.size()), pqxx::binarystring(value.data(), value.size()));
  // Delivered at commit (once per transaction); pg_notify takes any channel name.
  tx.exec("SELECT pg_notify(current_schema() || '_outbox', '')");
}

void Outbox::EnqueueMany(pqxx::work& tx, std::string_view topic, const std::vector<std::string>& keys,
                         const std::vector<std::string>& values) {
  if (keys.empty()) return;
  // WITH ORDINALITY keeps the given order in the ids.
  tx.exec_params(
      "INSERT INTO outbox (topic, key, value) SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) "
      "WITH ORDINALITY AS e(k, v, n) ORDER BY n",
      std::string(topic), PgByteaArray(keys), PgByteaArray(values));
  tx.exec("SELECT pg_notify(current_schema() || '_outbox', '')");
}

struct OutboxRelay::Impl {
  Impl(PgPool& pool_in, KafkaProducer& producer_in, OutboxRelayOptions options_in,
       std::shared_ptr<prometheus::Registry> registry_in, std::string_view metric_service)
      : pool(pool_in), producer(producer_in), options(std::move(options_in)), registry(std::move(registry_in)) {
    if (options.batch_size == 0) options.batch_size = 1;
    if (registry != nullptr) {
      const std::string prefix = kafka_internal::MetricPrefix(metric_service);
      published = &prometheus::BuildCounter()
                       .Name(prefix + "outbox_published_total")
                       .Help("Outbox events Kafka confirmed (and that were deleted from the outbox)")
                       .Register(*registry)
                       .Add({});
      pending = &prometheus::BuildGauge()
                     .Name(prefix + "outbox_pending")
                     .Help("Outbox events waiting to be published, as of the last batch")
                     .Register(*registry)
                     .Add({});
      latency = &prometheus::BuildHistogram()
                     .Name(prefix + "outbox_publish_latency_seconds")
                     .Help("Time from an event's insertion in the outbox to Kafka's confirmation")
                     .Register(*registry)
                     .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                                      5, 10, 30, 60});
    }
  }

  // Connects, listens and takes the schema's relay lock if free. false: another
  // relay holds it.
  absl::StatusOr<bool> EnsureLeader() {
    if (conn == nullptr || !conn->is_open()) {
      conn.reset();
      has_lock = false;
      auto fresh = pool.ConnectDedicated();
      if (!fresh.ok()) return fresh.status();
      conn = *std::move(fresh);
      pqxx::nontransaction tx(*conn);
      tx.exec("LISTEN " + tx.quote_name(pool.schema() + "_outbox"));
    }
    if (!has_lock) {
      pqxx::nontransaction tx(*conn);
      has_lock =
          tx.exec_params("SELECT pg_try_advisory_lock(hashtext($1 || '.outbox'))", pool.schema())[0][0].as<bool>();
    }
    return has_lock;
  }

  // One batch: select, produce, wait for Kafka, delete what was confirmed.
  absl::StatusOr<size_t> RelayBatch(std::chrono::steady_clock::time_point confirm_deadline) {
    try {
      auto leader = EnsureLeader();
      if (!leader.ok()) return leader.status();
      if (!*leader) return 0;
      std::vector<OutboxRow> rows;
      {
        pqxx::work tx(*conn);
        const auto result = tx.exec_params(
            "SELECT id, topic, key, value, extract(epoch FROM created_at)::float8 FROM outbox ORDER BY id LIMIT $1",
            static_cast<int64_t>(options.batch_size));
        rows.reserve(result.size());
        for (const auto& r : result) {
          OutboxRow& row = rows.emplace_back();
          row.id = r[0].as<int64_t>();
          row.topic = r[1].as<std::string>();
          row.key = pqxx::binarystring(r[2]).str();
          row.value = pqxx::binarystring(r[3]).str();
          row.created_at_epoch_s = r[4].as<double>();
        }
        tx.commit();
      }
      if (rows.empty()) {
        if (pending != nullptr) pending->Set(0);
        return 0;
      }
      auto outcome = std::make_shared<BatchOutcome>(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        const absl::Status enqueued =
            producer.Produce(options.topic_prefix + rows[i].topic, rows[i].key, rows[i].value,
                             [outcome, i](const DeliveryResult& result) { outcome->Done(i, result.status); });
        if (!enqueued.ok()) {
          // The rest of the batch waits for the next round, in order.
          for (size_t j = i; j < rows.size(); ++j) outcome->Done(j, enqueued);
          break;
        }
      }
      {
        std::unique_lock lock(outcome->mutex);
        outcome->cv.wait_until(lock, confirm_deadline, [&] { return outcome->pending == 0; });
      }
      // Only the confirmed prefix is deleted, so what failed is published
      // again before anything after it (Kafka keeps each key's order).
      std::vector<int64_t> done;
      absl::Status first_error;
      {
        std::lock_guard lock(outcome->mutex);
        for (size_t i = 0; i < rows.size() && outcome->delivered[i]; ++i) done.push_back(rows[i].id);
        first_error = outcome->first_error;
        if (done.size() < rows.size() && first_error.ok()) {
          first_error = absl::DeadlineExceededError("Kafka did not confirm the outbox batch in time");
        }
      }
      int64_t left = 0;
      if (!done.empty()) {
        pqxx::work tx(*conn);
        tx.exec_params("DELETE FROM outbox WHERE id = ANY($1::bigint[])",
                       absl::StrCat("{", absl::StrJoin(done, ","), "}"));
        left = tx.exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>();
        tx.commit();
        const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        if (published != nullptr) published->Increment(static_cast<double>(done.size()));
        if (latency != nullptr) {
          for (size_t i = 0; i < done.size(); ++i) latency->Observe(std::max(0.0, now_s - rows[i].created_at_epoch_s));
        }
        if (pending != nullptr) pending->Set(static_cast<double>(left));
      }
      if (!first_error.ok()) {
        if (done.empty()) return first_error;
        spdlog::warn("outbox {}: {} of {} event(s) published; the rest waits: {}", pool.schema(), done.size(),
                     rows.size(), first_error.ToString());
      }
      return done.size();
    } catch (const std::exception& e) {
      const absl::Status status = StatusFromPqxx(e);
      if (status.code() == absl::StatusCode::kUnavailable) {
        conn.reset();  // the session (and its lock) is gone
        has_lock = false;
      }
      return status;
    }
  }

  // Waits up to idle_wait for a NOTIFY on the outbox channel.
  void AwaitNotification() {
    if (conn == nullptr || !conn->is_open()) {
      std::this_thread::sleep_for(options.idle_wait);
      return;
    }
    try {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(options.idle_wait).count();
      conn->await_notification(static_cast<long>(us / 1'000'000), static_cast<long>(us % 1'000'000));
    } catch (const std::exception& e) {
      spdlog::warn("outbox {}: waiting for notifications: {}", pool.schema(), e.what());
      conn.reset();
      has_lock = false;
    }
  }

  void Run() {
    bool warned = false;
    while (true) {
      const bool stopping = stop.load();
      const auto now = std::chrono::steady_clock::now();
      if (stopping && now >= stop_deadline) break;
      absl::StatusOr<size_t> published_now;
      {
        std::lock_guard lock(run_mutex);
        published_now = RelayBatch(stopping ? stop_deadline : now + kBatchConfirmTimeout);
      }
      if (!published_now.ok()) {
        if (!warned) spdlog::warn("outbox {}: {}", pool.schema(), published_now.status().ToString());
        warned = true;
        if (stopping) break;
      } else {
        warned = false;
        if (*published_now > 0) continue;  // maybe more
        if (stopping) break;               // nothing pending: done
      }
      std::lock_guard lock(run_mutex);
      AwaitNotification();
    }
  }

  PgPool& pool;
  KafkaProducer& producer;
  OutboxRelayOptions options;
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Counter* published = nullptr;
  prometheus::Gauge* pending = nullptr;
  prometheus::Histogram* latency = nullptr;

  std::mutex run_mutex;  // one batch at a time on the connection
  std::unique_ptr<pqxx::connection> conn;
  bool has_lock = false;

  std::thread thread;
  std::atomic<bool> stop{false};
  std::chrono::steady_clock::time_point stop_deadline;
};

OutboxRelay::OutboxRelay(PgPool& pool, KafkaProducer& producer, OutboxRelayOptions options,
                         std::shared_ptr<prometheus::Registry> registry, std::string_view metric_service)
    : impl_(std::make_unique<Impl>(pool, producer, std::move(options), std::move(registry), metric_service)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  if (impl_->thread.joinable()) return;
  impl_->stop = false;
  impl_->thread = std::thread([this] { impl_->Run(); });
}

void OutboxRelay::Stop(std::chrono::milliseconds timeout) {
  if (!impl_->thread.joinable()) return;
  impl_->stop_deadline = std::chrono::steady_clock::now() + timeout;
  impl_->stop = true;
  impl_->thread.join();
}

absl::StatusOr<size_t> OutboxRelay::RelayOnce() {
  std::lock_guard lock(impl_->run_mutex);
  return impl_->RelayBatch(std::chrono::steady_clock::now() + kBatchConfirmTimeout);
}

}  // namespace cityops::common
