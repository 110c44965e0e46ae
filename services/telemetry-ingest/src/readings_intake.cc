#include "readings_intake.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cityops/common/proto_time.h"

namespace cityops::telemetry {

namespace {

std::string RandomInstanceId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  return absl::StrFormat("%016x", gen());
}

}  // namespace

ReadingsIntake::ReadingsIntake(AssetRegistry& registry, common::KafkaProducer& producer, const common::Clock& clock,
                               Options options, prometheus::Registry& metrics)
    : registry_(registry),
      producer_(producer),
      clock_(clock),
      options_(std::move(options)),
      instance_(RandomInstanceId()),
      accepted_(prometheus::BuildCounter()
                    .Name("cityops_telemetry_ingest_readings_accepted_total")
                    .Help("Readings accepted and confirmed by Kafka")
                    .Register(metrics)
                    .Add({})),
      rejected_(prometheus::BuildCounter()
                    .Name("cityops_telemetry_ingest_readings_rejected_total")
                    .Help("Readings refused, by reason (a rejected batch counts each of its readings once)")
                    .Register(metrics)),
      batches_failed_(prometheus::BuildCounter()
                          .Name("cityops_telemetry_ingest_batches_unconfirmed_total")
                          .Help("Batches that Kafka did not confirm in time (answered UNAVAILABLE)")
                          .Register(metrics)
                          .Add({})),
      batch_size_(prometheus::BuildHistogram()
                      .Name("cityops_telemetry_ingest_batch_size")
                      .Help("Readings per batch received")
                      .Register(metrics)
                      .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 100, 500, 1000, 2000, 5000, 10000})),
      fault_reports_(prometheus::BuildCounter()
                         .Name("cityops_telemetry_ingest_fault_reports_total")
                         .Help("Self-reported faults received, by outcome")
                         .Register(metrics)) {}

std::string ReadingsIntake::NextRecordId() { return absl::StrCat(instance_, "-", ++sequence_); }

ReadingsIntake::Pending ReadingsIntake::Submit(const v1::ReadingBatch& batch) {
  Pending pending;
  pending.batch_id = batch.batch_id();
  batch_size_.Observe(static_cast<double>(batch.readings_size()));

  if (batch.readings_size() > 0 && static_cast<size_t>(batch.readings_size()) <= options_.limits.max_batch) {
    std::vector<std::string> ids;
    ids.reserve(static_cast<size_t>(batch.readings_size()));
    for (const auto& r : batch.readings()) ids.push_back(r.asset_id());
    registry_.Prefetch(ids);
  }
  auto rejections = ValidateBatch(
      batch, [this](const std::string& id) { return registry_.Facts(id); }, clock_.Now(), options_.limits,
      options_.bounds);
  if (!rejections.empty()) {
    v1::BatchAck ack;
    ack.set_batch_id(batch.batch_id());
    ack.set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
    ack.set_message(absl::StrCat("batch rejected, nothing published: ", rejections.size(),
                                 " problem(s), first: ", rejections.front().message));
    for (const auto& r : rejections) {
      auto* out = ack.add_rejections();
      out->set_index(r.index);
      out->set_reason(r.reason);
      out->set_message(r.message);
      rejected_.Add({{"reason", r.reason}}).Increment();
    }
    pending.answer = std::move(ack);
    return pending;
  }

  const auto count = static_cast<size_t>(batch.readings_size());
  pending.count = static_cast<uint32_t>(count);
  pending.latch = std::make_shared<common::DeliveryLatch>(count);
  const auto received = common::ToProtoTime(clock_.Now());
  v1::TelemetryRecord record;
  std::string value;
  for (size_t i = 0; i < count; ++i) {
    const auto& reading = batch.readings(static_cast<int>(i));
    // A reading's identity is (asset, metric, time): it needs no record id.
    *record.mutable_received_at() = received;
    *record.mutable_reading() = reading;
    value.clear();
    record.SerializeToString(&value);
    auto latch = pending.latch;
    auto status = producer_.Produce(options_.readings_topic, reading.asset_id(), value,
                                    [latch](const common::DeliveryResult& r) { latch->Done(r); });
    if (!status.ok()) {
      // The rest will never be confirmed: count them failed so Wait returns.
      for (size_t j = i; j < count; ++j) latch->Done(common::DeliveryResult{status, -1, -1});
      break;
    }
  }
  return pending;
}

v1::BatchAck ReadingsIntake::Complete(Pending& pending) {
  if (pending.answer) return *pending.answer;
  v1::BatchAck ack;
  ack.set_batch_id(pending.batch_id);
  auto status = pending.latch->Wait(options_.delivery_timeout);
  if (status.ok()) {
    ack.set_code(0);
    ack.set_accepted(pending.count);
    accepted_.Increment(pending.count);
  } else {
    batches_failed_.Increment();
    ack.set_code(static_cast<int>(absl::StatusCode::kUnavailable));
    ack.set_message(absl::StrCat("Kafka did not confirm the batch (", status.message(),
                                 "): resend it; readings already confirmed may be stored twice"));
  }
  return ack;
}

absl::StatusOr<std::string> ReadingsIntake::ReportFault(const v1::FaultReport& report) {
  registry_.Prefetch({report.asset_id()});
  auto status = ValidateFaultReport(
      report, [this](const std::string& id) { return registry_.Facts(id); }, clock_.Now(), options_.limits);
  if (!status.ok()) {
    fault_reports_.Add({{"outcome", "rejected"}}).Increment();
    return status;
  }
  v1::TelemetryRecord record;
  record.set_record_id(NextRecordId());
  *record.mutable_received_at() = common::ToProtoTime(clock_.Now());
  *record.mutable_fault_report() = report;
  auto latch = std::make_shared<common::DeliveryLatch>(1);
  status = producer_.Produce(options_.readings_topic, report.asset_id(), record.SerializeAsString(),
                             [latch](const common::DeliveryResult& r) { latch->Done(r); });
  if (status.ok()) status = latch->Wait(options_.delivery_timeout);
  if (!status.ok()) {
    fault_reports_.Add({{"outcome", "unconfirmed"}}).Increment();
    return absl::UnavailableError(absl::StrCat("Kafka did not confirm the fault report: ", status.message()));
  }
  fault_reports_.Add({{"outcome", "accepted"}}).Increment();
  return record.record_id();
}

}  // namespace cityops::telemetry
