#include "neuralake/ingest/fake_consumer.h"

#include <algorithm>
#include <thread>

namespace neuralake::ingest {

// ---------------------------------------------------------------------------------------------
// FakeBroker

void FakeBroker::CreateTopic(const std::string& topic, int32_t partitions) {
  std::lock_guard lock(mutex_);
  auto& list = topics_[topic];
  if (static_cast<int32_t>(list.size()) < partitions) list.resize(static_cast<size_t>(partitions));
}

int64_t FakeBroker::Produce(const std::string& topic, int32_t partition, std::string payload,
                            std::string key, int64_t timestamp_ms) {
  std::lock_guard lock(mutex_);
  auto& list = topics_[topic];
  if (static_cast<int32_t>(list.size()) <= partition) {
    list.resize(static_cast<size_t>(partition) + 1);
  }
  auto& records = list[static_cast<size_t>(partition)];
  records.push_back({std::move(key), std::move(payload), timestamp_ms});
  return static_cast<int64_t>(records.size()) - 1;
}

int32_t FakeBroker::Partitions(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : static_cast<int32_t>(it->second.size());
}

int64_t FakeBroker::EndOffset(const std::string& topic, int32_t partition) const {
  std::lock_guard lock(mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 ||
      partition >= static_cast<int32_t>(it->second.size())) {
    return 0;
  }
  return static_cast<int64_t>(it->second[static_cast<size_t>(partition)].size());
}

std::optional<FakeBroker::Record> FakeBroker::Read(const std::string& topic, int32_t partition,
                                                   int64_t offset) const {
  std::lock_guard lock(mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 ||
      partition >= static_cast<int32_t>(it->second.size())) {
    return std::nullopt;
  }
  const auto& records = it->second[static_cast<size_t>(partition)];
  if (offset < 0 || offset >= static_cast<int64_t>(records.size())) return std::nullopt;
  return records[static_cast<size_t>(offset)];
}

std::optional<int64_t> FakeBroker::CommittedOffset(const std::string& topic,
                                                   int32_t partition) const {
  std::lock_guard lock(mutex_);
  auto it = committed_.find({topic, partition});
  if (it == committed_.end()) return std::nullopt;
  return it->second;
}

void FakeBroker::SetCommittedOffset(const std::string& topic, int32_t partition, int64_t offset) {
  std::lock_guard lock(mutex_);
  committed_[{topic, partition}] = offset;
}

// ---------------------------------------------------------------------------------------------
// FakeConsumer: script

FakeConsumer::FakeConsumer(FakeBroker* broker, FakeConsumerOptions options)
    : broker_(broker), options_(std::move(options)) {}

void FakeConsumer::AssignAt(int64_t delivered, std::vector<int32_t> partitions) {
  steps_.push_back({delivered, [this, partitions](ConsumerEvent*) {
                      initial_done_ = true;
                      return DoAssign(partitions);
                    }});
}

void FakeConsumer::RevokeAt(int64_t delivered, std::vector<int32_t> partitions, bool lost) {
  steps_.push_back(
      {delivered, [this, partitions, lost](ConsumerEvent*) { return DoRevoke(partitions, lost); }});
}

void FakeConsumer::RedeliverAt(int64_t delivered, int32_t partition, int64_t offset) {
  steps_.push_back({delivered, [this, partition, offset](ConsumerEvent*) {
                      auto it = positions_.find(partition);
                      if (it != positions_.end()) {
                        it->second.next = offset;
                        it->second.end_reported = false;
                      }
                      return Status::OK();
                    }});
}

void FakeConsumer::FailAt(int64_t delivered, Status error) {
  steps_.push_back({delivered, [error](ConsumerEvent*) { return error; }});
}

void FakeConsumer::WarnAt(int64_t delivered, std::string text) {
  steps_.push_back({delivered, [text](ConsumerEvent* event) {
                      event->kind = ConsumerEvent::Kind::kWarning;
                      event->text = text;
                      return Status::OK();
                    }});
}

void FakeConsumer::CallAt(int64_t delivered, std::function<void()> step) {
  steps_.push_back({delivered, [step = std::move(step)](ConsumerEvent*) {
                      step();
                      return Status::OK();
                    }});
}

Status FakeConsumer::DoAssign(const std::vector<int32_t>& partitions) {
  std::vector<PartitionOffset> starts;
  for (int32_t partition : partitions) {
    if (owned_.count(partition) == 0) starts.push_back({partition, kOffsetBeginning});
  }
  if (starts.empty()) return Status::OK();
  if (listener_ != nullptr) NL_RETURN_NOT_OK(listener_->OnAssign(starts));
  for (const PartitionOffset& start : starts) {
    owned_.insert(start.partition);
    Position position;
    position.next = start.offset == kOffsetBeginning ? 0 : start.offset;
    positions_[start.partition] = position;
    assignments_.push_back(start);
  }
  return Status::OK();
}

Status FakeConsumer::DoRevoke(const std::vector<int32_t>& partitions, bool lost) {
  std::vector<int32_t> revoked;
  for (int32_t partition : partitions) {
    if (owned_.count(partition) > 0) revoked.push_back(partition);
  }
  if (revoked.empty()) return Status::OK();
  Status status = listener_ != nullptr ? listener_->OnRevoke(revoked, lost) : Status::OK();
  for (int32_t partition : revoked) {
    owned_.erase(partition);
    positions_.erase(partition);
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// FakeConsumer: Consumer

Status FakeConsumer::Subscribe(const std::string& topic, RebalanceListener* listener) {
  if (closed_) return Status::Invalid("fake consumer: closed");
  topic_ = topic;
  listener_ = listener;
  subscribed_ = true;
  return Status::OK();
}

std::optional<ConsumerEvent> FakeConsumer::NextMessage() {
  if (owned_.empty()) return std::nullopt;
  std::vector<int32_t> order(owned_.begin(), owned_.end());
  // Round robin over the owned partitions, as a broker interleaves fetches.
  for (size_t i = 0; i < order.size(); ++i) {
    int32_t partition = order[(static_cast<size_t>(round_robin_) + i) % order.size()];
    Position& position = positions_[partition];
    if (position.paused) continue;
    auto record = broker_->Read(topic_, partition, position.next);
    if (!record) continue;
    round_robin_ = static_cast<int32_t>((static_cast<size_t>(round_robin_) + i + 1) % order.size());
    current_ = std::move(*record);
    ConsumerEvent event;
    event.kind = ConsumerEvent::Kind::kMessage;
    event.message.partition = partition;
    event.message.offset = position.next;
    event.message.timestamp_ms = current_.timestamp_ms;
    event.message.key = current_.key;
    event.message.payload = current_.payload;
    ++position.next;
    position.end_reported = false;
    ++delivered_;
    return event;
  }
  for (int32_t partition : order) {
    Position& position = positions_[partition];
    if (position.paused || position.end_reported) continue;
    if (position.next >= broker_->EndOffset(topic_, partition)) {
      position.end_reported = true;
      ConsumerEvent event;
      event.kind = ConsumerEvent::Kind::kPartitionEnd;
      event.message.partition = partition;
      event.message.offset = position.next;
      return event;
    }
  }
  return std::nullopt;
}

Result<ConsumerEvent> FakeConsumer::Poll(std::chrono::milliseconds timeout) {
  if (closed_ || !subscribed_) return Status::Invalid("fake consumer: not subscribed");
  ConsumerEvent event;
  while (next_step_ < steps_.size() && steps_[next_step_].delivered <= delivered_) {
    // The step may add steps (a vector reallocation): copy it out first.
    auto run = steps_[next_step_++].run;
    NL_RETURN_NOT_OK(run(&event));
    if (event.kind != ConsumerEvent::Kind::kNone) return event;
  }
  if (!initial_done_) {
    initial_done_ = true;
    std::vector<int32_t> partitions;
    if (options_.initial_assignment) {
      partitions = *options_.initial_assignment;
    } else {
      for (int32_t p = 0; p < broker_->Partitions(topic_); ++p) partitions.push_back(p);
    }
    NL_RETURN_NOT_OK(DoAssign(partitions));
  }
  if (broker_->Partitions(topic_) == 0) {
    initial_done_ = false;  // assign once the topic exists
    event.kind = ConsumerEvent::Kind::kTopicMissing;
    return event;
  }
  if (auto next = NextMessage()) return *next;
  // Nothing to deliver: wait a little, as a real poll would (keeps a polling loop from spinning).
  std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(1)));
  return event;
}

Status FakeConsumer::Pause(const std::vector<int32_t>& partitions) {
  for (int32_t partition : partitions) {
    auto it = positions_.find(partition);
    if (it == positions_.end()) {
      return Status::Invalid("fake consumer: pause of a partition not owned");
    }
    it->second.paused = true;
  }
  return Status::OK();
}

Status FakeConsumer::Resume(const std::vector<int32_t>& partitions) {
  for (int32_t partition : partitions) {
    auto it = positions_.find(partition);
    if (it == positions_.end()) {
      return Status::Invalid("fake consumer: resume of a partition not owned");
    }
    it->second.paused = false;
  }
  return Status::OK();
}

Status FakeConsumer::Seek(int32_t partition, int64_t offset) {
  auto it = positions_.find(partition);
  if (it == positions_.end()) {
    return Status::Invalid("fake consumer: seek of a partition not owned");
  }
  it->second.next = offset == kOffsetBeginning ? 0 : offset;
  it->second.end_reported = false;
  return Status::OK();
}

void FakeConsumer::CommitOffsets(const std::map<int32_t, int64_t>& next_offsets) {
  if (!options_.commit_offsets) return;
  for (const auto& [partition, offset] : next_offsets) {
    broker_->SetCommittedOffset(topic_, partition, offset);
  }
}

std::optional<Watermarks> FakeConsumer::GetWatermarks(int32_t partition) {
  if (partition < 0 || partition >= broker_->Partitions(topic_)) return std::nullopt;
  return Watermarks{0, broker_->EndOffset(topic_, partition)};
}

Status FakeConsumer::Close() {
  if (closed_) return Status::OK();
  std::vector<int32_t> owned(owned_.begin(), owned_.end());
  Status status = DoRevoke(owned, /*lost=*/false);
  closed_ = true;
  return status;
}

}  // namespace neuralake::ingest
