// A service killed mid-stream loses nothing it acknowledged and, once
// restarted, applies nothing twice; migrations applied twice change nothing.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "cityops/common/topic_names.h"
#include "ingest_fixture.h"

namespace cityops::testing {
namespace {

void RegisterLamps(IngestFixture& f, int lamps) {
  tv1::RegisterAssetsRequest request;
  *request.add_assets() = Cabinet("cab-1");
  for (int i = 0; i < lamps; ++i) *request.add_assets() = LightPoint("lp-" + std::to_string(i), "cab-1");
  grpc::ClientContext context;
  tv1::RegisterAssetsResponse response;
  REQUIRE(f.stub().RegisterAssets(&context, request, &response).ok());
}

TEST_CASE("SIGKILL mid-stream: every acknowledged reading survives, and the restart applies each once") {
  IngestFixture f;
  RegisterLamps(f, 100);
  const auto start = std::chrono::system_clock::now() - std::chrono::minutes(10);

  std::mutex mutex;
  std::set<ReadingKey> acknowledged;
  std::map<uint64_t, tv1::ReadingBatch> sent;
  std::atomic<int> acks{0};
  std::thread client([&] {
    grpc::ClientContext context;
    auto stream = f.stub().StreamReadings(&context);
    std::thread reader([&] {
      tv1::BatchAck ack;
      while (stream->Read(&ack)) {
        std::lock_guard lock(mutex);
        if (ack.code() == 0) {
          for (const auto& r : sent.at(ack.batch_id()).readings()) acknowledged.insert(KeyOf(r));
        }
        ++acks;
      }
    });
    for (uint64_t b = 0; b < 2000; ++b) {
      tv1::ReadingBatch batch;
      batch.set_batch_id(b);
      for (int i = 0; i < 200; ++i) {
        *batch.add_readings() = MakeReading("lp-" + std::to_string(i % 100), "power_w", 41,
                                            start + std::chrono::microseconds(b * 1000 + static_cast<uint64_t>(i)));
      }
      {
        std::lock_guard lock(mutex);
        sent[b] = batch;
      }
      if (!stream->Write(batch)) break;
    }
    stream->WritesDone();
    reader.join();
    stream->Finish();  // fails: the server died
  });

  // Let a good part of the stream be acknowledged, then kill without warning.
  while (acks < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.service().Kill();
  client.join();
  const size_t acked = acknowledged.size();
  INFO("acknowledged before the kill: " << acked);
  REQUIRE(acked >= 50 * 200);

  // Everything acknowledged is on the topic (more may be: sent but unanswered).
  auto on_topic = ReadingKeysOnTopic(f.topics().Name(topics::kTelemetryReadings));
  std::set<ReadingKey> published(on_topic.begin(), on_topic.end());
  for (const auto& key : acknowledged) {
    if (!published.count(key)) FAIL("acknowledged reading missing from the topic");
  }

  // Restart on the same schema and topics: the consumer resumes and the
  // history ends with exactly one row per record on the topic.
  f.Start();
  const std::string expected = std::to_string(on_topic.size());
  CHECK(f.WaitForScalar("SELECT count(*) FROM readings", expected, std::chrono::seconds(60)) == expected);
  CHECK(f.Scalar("SELECT count(*) FROM (SELECT 1 FROM readings GROUP BY asset_id, metric, ts HAVING count(*) > 1) d") ==
        "0");
}

TEST_CASE("migrations applied twice change nothing, and a graceful stop exits cleanly") {
  IngestFixture f;
  const std::string tables =
      "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = "
      "current_schema()";
  const auto before = f.Scalar(tables);
  CHECK(f.Scalar("SELECT count(*) FROM schema_migrations") == "1");
  CHECK(f.service().Stop() == 0);
  f.Start();
  CHECK(f.Scalar("SELECT count(*) FROM schema_migrations") == "1");
  CHECK(f.Scalar(tables) == before);
  CHECK_THAT(ReadFile(f.service().log_path()), Catch::Contains("0 migration(s) applied"));
}

}  // namespace
}  // namespace cityops::testing
