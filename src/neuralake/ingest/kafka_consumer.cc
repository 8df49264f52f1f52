#include "neuralake/ingest/kafka_consumer.h"

#include <librdkafka/rdkafka.h>

#include <set>
#include <string_view>

namespace neuralake::ingest {
namespace {

// Sets each key=value on `conf`; a setting librdkafka refuses is Invalid, named after `what`.
Status SetKafkaConf(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& settings,
                    const std::string& what) {
  char error[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      return Status::Invalid(what + key + ": " + error);
    }
  }
  return Status::OK();
}

// Status of an rd_kafka_error_t (destroyed here); OK for nullptr.
Status ReleaseError(rd_kafka_error_t* error) {
  if (error == nullptr) return Status::OK();
  Status status = Status::IOError(rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
  return status;
}

// Our consumer settings; the caller's are applied over them.
std::map<std::string, std::string> DefaultSettings(const KafkaConsumerOptions& options) {
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", options.brokers},
      {"group.id", options.group},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "true"},
      // A member that died (kill -9) holds its partitions until its session times out: 6 s is
      // the broker's default minimum (10 s took 10.7 s to resume after a kill, 6 s 6.2 s). A
      // restart under the same --member name (static membership) resumes in 0.7 s. Measured
      // figures and why not cooperative-sticky: docs/ingest.md ("Churn").
      {"partition.assignment.strategy", "range"},
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "1000"},
      {"topic.metadata.refresh.interval.ms", "2000"},  // notice a topic created later
      {"fetch.max.bytes", "134217728"},
      {"max.partition.fetch.bytes", "33554432"},
      {"receive.message.max.bytes", "200000000"},
      // Prefetch: librdkafka stops fetching for a while once its queue passes either bound, so
      // the message bound must exceed a flush (small messages: 2M x 226 B took 5.5 s at 200k,
      // 3.7 s at 1M); the byte bound caps memory (1 KB messages: 1.6 GB RSS at 1 GB, 1.2 GB at
      // 256 MB, same throughput).
      {"queued.max.messages.kbytes", "262144"},
      {"queued.min.messages", "1000000"},
  };
  if (!options.member.empty()) settings["group.instance.id"] = options.member;
  return settings;
}

class KafkaConsumer final : public Consumer {
 public:
  KafkaConsumer() = default;
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  ~KafkaConsumer() override {
    ReleaseMessage();
    listener_ = nullptr;  // may be gone: a close from rd_kafka_destroy only unassigns
    if (handle_ != nullptr) rd_kafka_destroy(handle_);
  }

  // Takes the client created with this consumer as its callbacks' opaque.
  void Adopt(rd_kafka_t* handle) { handle_ = handle; }

  Status Subscribe(const std::string& topic, RebalanceListener* listener) override {
    topic_ = topic;
    listener_ = listener;
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(handle_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) return Status::Invalid(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
    return Status::OK();
  }

  Result<ConsumerEvent> Poll(std::chrono::milliseconds timeout) override {
    ReleaseMessage();
    message_ = rd_kafka_consumer_poll(handle_, static_cast<int>(timeout.count()));
    if (!callback_status_.ok()) return callback_status_;
    ConsumerEvent event;
    if (message_ == nullptr) return event;
    const rd_kafka_message_t& message = *message_;
    event.message.partition = message.partition;
    event.message.offset = message.offset;
    if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      event.kind = ConsumerEvent::Kind::kPartitionEnd;
      return event;
    }
    if (message.err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_fatal_error(handle_, reason, sizeof(reason));
      return Status::Invalid(std::string("kafka: ") + reason);
    }
    if (message.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        message.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      event.kind = ConsumerEvent::Kind::kTopicMissing;
      return event;
    }
    if (message.err) {
      // Broker/transport trouble is reported and retried by librdkafka itself.
      event.kind = ConsumerEvent::Kind::kWarning;
      event.text = rd_kafka_message_errstr(&message);
      return event;
    }
    event.kind = ConsumerEvent::Kind::kMessage;
    rd_kafka_timestamp_type_t type;
    event.message.timestamp_ms = rd_kafka_message_timestamp(&message, &type);
    event.message.key = std::string_view(static_cast<const char*>(message.key), message.key_len);
    event.message.payload =
        std::string_view(static_cast<const char*>(message.payload), message.len);
    return event;
  }

  Status Pause(const std::vector<int32_t>& partitions) override {
    return Toggle(partitions, /*pause=*/true);
  }
  Status Resume(const std::vector<int32_t>& partitions) override {
    return Toggle(partitions, /*pause=*/false);
  }

  Status Seek(int32_t partition, int64_t offset) override {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition)->offset = offset;
    Status status = ReleaseError(rd_kafka_seek_partitions(handle_, list, 10'000));
    if (status.ok() && list->elems[0].err) {
      status = Status::IOError(rd_kafka_err2str(list->elems[0].err));
    }
    rd_kafka_topic_partition_list_destroy(list);
    return status.WithContext("kafka seek");
  }

  void CommitOffsets(const std::map<int32_t, int64_t>& next_offsets) override {
    if (next_offsets.empty()) return;
    rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size()));
    for (const auto& [partition, offset] : next_offsets) {
      rd_kafka_topic_partition_list_add(offsets, topic_.c_str(), partition)->offset = offset;
    }
    rd_kafka_commit(handle_, offsets, 1);  // async; only for lag monitoring
    rd_kafka_topic_partition_list_destroy(offsets);
  }

  std::optional<Watermarks> GetWatermarks(int32_t partition) override {
    Watermarks marks;
    if (rd_kafka_get_watermark_offsets(handle_, topic_.c_str(), partition, &marks.low,
                                       &marks.high) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return std::nullopt;
    }
    return marks;
  }

  Status Close() override {
    ReleaseMessage();
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(handle_);  // revokes: OnRevoke runs
    NL_RETURN_NOT_OK(callback_status_);
    if (err) return Status::IOError(std::string("kafka close: ") + rd_kafka_err2str(err));
    return Status::OK();
  }

  // Both rebalance protocols: eager (range, roundrobin: every rebalance revokes everything, then
  // assigns the new set) and cooperative (cooperative-sticky: only the partitions that move are
  // revoked or assigned, the others keep being consumed).
  static void OnRebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    const char* protocol = rd_kafka_rebalance_protocol(handle);
    const bool cooperative = protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
    Status status = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
                        ? self->Assign(partitions, cooperative)
                        : self->Revoke(partitions, cooperative);
    if (!status.ok() && self->callback_status_.ok()) self->callback_status_ = status;
  }

 private:
  void ReleaseMessage() {
    if (message_ != nullptr) rd_kafka_message_destroy(message_);
    message_ = nullptr;
  }

  Status Toggle(const std::vector<int32_t>& partitions, bool pause) {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (int32_t partition : partitions) {
      rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition);
    }
    rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(handle_, list)
                                    : rd_kafka_resume_partitions(handle_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
      return Status::IOError(std::string(pause ? "kafka pause: " : "kafka resume: ") +
                             rd_kafka_err2str(err));
    }
    return Status::OK();
  }

  // The listener chooses every partition's start offset; then they are assigned.
  Status Assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    if (!cooperative) {
      // An eager assignment replaces the whole set: any partition still held is gone.
      std::vector<int32_t> stale;
      for (int32_t partition : owned_) {
        if (rd_kafka_topic_partition_list_find(partitions, topic_.c_str(), partition) == nullptr) {
          stale.push_back(partition);
        }
      }
      if (!stale.empty() && listener_ != nullptr) {
        NL_RETURN_NOT_OK(listener_->OnRevoke(stale, /*lost=*/true));
      }
      owned_.clear();
    }
    std::vector<PartitionOffset> starts;
    for (int i = 0; i < partitions->cnt; ++i) {
      starts.push_back({partitions->elems[i].partition, kOffsetBeginning});
    }
    // On failure nothing is assigned: Poll returns the error and the member stops.
    if (listener_ != nullptr) NL_RETURN_NOT_OK(listener_->OnAssign(starts));
    for (int i = 0; i < partitions->cnt; ++i) {
      int64_t offset = starts[static_cast<size_t>(i)].offset;
      partitions->elems[i].offset = offset == kOffsetBeginning ? RD_KAFKA_OFFSET_BEGINNING : offset;
      owned_.insert(partitions->elems[i].partition);
    }
    if (cooperative) {
      return ReleaseError(rd_kafka_incremental_assign(handle_, partitions))
          .WithContext("kafka assign");
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(handle_, partitions);
    if (err) return Status::IOError(std::string("kafka assign: ") + rd_kafka_err2str(err));
    return Status::OK();
  }

  // Revoked (or lost): the listener commits what it holds, then the partitions are let go (even
  // when it failed: they are no longer ours).
  Status Revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    std::vector<int32_t> revoked;
    for (int i = 0; i < partitions->cnt; ++i) revoked.push_back(partitions->elems[i].partition);
    bool lost = rd_kafka_assignment_lost(handle_) != 0;
    Status status = listener_ != nullptr ? listener_->OnRevoke(revoked, lost) : Status::OK();
    for (int32_t partition : revoked) owned_.erase(partition);
    if (cooperative) {
      Status released = ReleaseError(rd_kafka_incremental_unassign(handle_, partitions));
      if (status.ok()) status = released.WithContext("kafka unassign");
    } else {
      rd_kafka_assign(handle_, nullptr);
    }
    return status;
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_message_t* message_ = nullptr;  // the last polled, alive until the next Poll
  std::string topic_;
  RebalanceListener* listener_ = nullptr;
  std::set<int32_t> owned_;
  Status callback_status_;
};

}  // namespace

Result<std::unique_ptr<Consumer>> MakeKafkaConsumer(const KafkaConsumerOptions& options) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status set = SetKafkaConf(conf, DefaultSettings(options), "kafka setting ");
  if (set.ok()) set = SetKafkaConf(conf, options.settings, "--kafka-option ");
  if (!set.ok()) {
    rd_kafka_conf_destroy(conf);
    return set;
  }
  // The rebalance callback's opaque is the consumer, so it exists before its handle.
  auto consumer = std::make_unique<KafkaConsumer>();
  rd_kafka_conf_set_opaque(conf, consumer.get());
  rd_kafka_conf_set_rebalance_cb(conf, &KafkaConsumer::OnRebalance);
  char error[512];
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new owns the conf only on success
    return Status::Invalid(std::string("kafka consumer: ") + error);
  }
  rd_kafka_poll_set_consumer(handle);
  consumer->Adopt(handle);
  return std::unique_ptr<Consumer>(std::move(consumer));
}

}  // namespace neuralake::ingest
