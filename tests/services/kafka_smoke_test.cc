// Kafka smoke test: 10,000 messages through the real broker (scripts/services.sh) with librdkafka.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

std::string Brokers() {
  const char* env = std::getenv("NEURALAKE_KAFKA_BROKERS");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:9092";
}

rd_kafka_conf_t* Config(const std::map<std::string, std::string>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)),
              RD_KAFKA_CONF_OK)
        << key << ": " << error;
  }
  return conf;
}

TEST(KafkaSmokeTest, ProducesAndConsumesTenThousandMessages) {
  constexpr int kMessages = 10'000;
  std::string topic = "smoke-" + std::to_string(getpid()) + "-" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  char error[512];

  rd_kafka_t* producer = rd_kafka_new(
      RD_KAFKA_PRODUCER,
      Config({{"bootstrap.servers", Brokers()}, {"linger.ms", "5"}, {"acks", "all"},
              {"enable.idempotence", "true"}}),
      error, sizeof(error));
  ASSERT_NE(producer, nullptr) << error;
  for (int i = 0; i < kMessages; ++i) {
    std::string payload = "message-" + std::to_string(i);
    std::string key = "key-" + std::to_string(i % 17);
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                              RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer, 100);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    rd_kafka_poll(producer, 0);
  }
  ASSERT_EQ(rd_kafka_flush(producer, 60'000), RD_KAFKA_RESP_ERR_NO_ERROR)
      << "is Kafka running? start the local services with `make services-up`";
  rd_kafka_destroy(producer);

  rd_kafka_t* consumer = rd_kafka_new(
      RD_KAFKA_CONSUMER,
      Config({{"bootstrap.servers", Brokers()}, {"group.id", topic + "-group"},
              {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"}}),
      error, sizeof(error));
  ASSERT_NE(consumer, nullptr) << error;
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);

  std::set<std::string> seen;
  int received = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (received < kMessages && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 500);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      seen.emplace(static_cast<const char*>(message->payload), message->len);
      ++received;
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ADD_FAILURE() << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);

  EXPECT_EQ(received, kMessages);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(seen.count("message-0"), 1u);
  EXPECT_EQ(seen.count("message-9999"), 1u);
}

}  // namespace
