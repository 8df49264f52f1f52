#include "neuralake/ingest/producer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <iomanip>
#include <ostream>
#include <thread>

#include "neuralake/gen/dataset.h"
#include "neuralake/gen/generator.h"

namespace neuralake::ingest {

namespace {

struct DeliveryState {
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> failed{0};
  std::string first_error;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* state = static_cast<DeliveryState*>(opaque);
  if (message->err) {
    if (state->failed.fetch_add(1) == 0) state->first_error = rd_kafka_err2str(message->err);
  } else {
    state->delivered.fetch_add(1);
  }
}

// Splits the JSON lines the generator renders into messages.
std::vector<std::string_view> Lines(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
  }
  return lines;
}

std::string KeyText(const engine::ColumnData& column, size_t row) {
  if (!column.IsValid(row)) return "";
  switch (column.kind) {
    case engine::ColumnKind::kString: return column.strings[row];
    case engine::ColumnKind::kDouble: return std::to_string(column.doubles[row]);
    default: return std::to_string(column.ints[row]);
  }
}

rd_kafka_t* NewProducer(const ProduceOptions& options, DeliveryState* state, Status* status) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", options.brokers}, {"enable.idempotence", "true"},
      {"acks", "all"}, {"linger.ms", "20"}, {"batch.size", "1000000"},
      {"compression.type", "lz4"}, {"queue.buffering.max.messages", "1000000"},
      {"message.timeout.ms", "120000"}};
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      *status = Status::Invalid("kafka setting " + key + ": " + error);
      return nullptr;
    }
  }
  rd_kafka_conf_set_opaque(conf, state);
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (producer == nullptr) *status = Status::Invalid(std::string("kafka producer: ") + error);
  return producer;
}

Status FinishProducer(rd_kafka_t* producer, const ProduceOptions& options,
                      const DeliveryState& state) {
  rd_kafka_resp_err_t flushed = rd_kafka_flush(producer, 120'000);
  rd_kafka_destroy(producer);
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError("kafka at " + options.brokers +
                           " did not acknowledge every message within 120 s (is it running? "
                           "`make services-up`)");
  }
  if (state.failed.load() > 0) {
    return Status::IOError(std::to_string(state.failed.load()) + " messages failed: " +
                           state.first_error);
  }
  return Status::OK();
}

// Queues one message (copied), waiting while librdkafka's queue is full; `key` may be null.
rd_kafka_resp_err_t Send(rd_kafka_t* producer, const std::string& topic, const std::string* key,
                         std::string_view value) {
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_KEY(key ? key->data() : nullptr, key ? key->size() : 0),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return err;
    rd_kafka_poll(producer, 50);
  }
}

Result<ProduceSummary> ProduceLines(const ProduceOptions& options) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.from_file != "-") {
    file.open(options.from_file);
    if (!file) return Status::NotFound("cannot read " + options.from_file);
    in = &file;
  }
  DeliveryState state;
  Status status;
  rd_kafka_t* producer = NewProducer(options, &state, &status);
  if (producer == nullptr) return status;
  ProduceSummary summary;
  auto start = std::chrono::steady_clock::now();
  std::string line;
  while (std::getline(*in, line)) {
    rd_kafka_resp_err_t err = Send(producer, options.topic, nullptr, line);
    if (err) {
      rd_kafka_destroy(producer);
      return Status::IOError(std::string("producing: ") + rd_kafka_err2str(err));
    }
    summary.messages++;
    summary.bytes += static_cast<int64_t>(line.size());
  }
  NL_RETURN_NOT_OK(FinishProducer(producer, options, state));
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

Result<ProduceSummary> Produce(const ProduceOptions& options) {
  if (options.topic.empty()) return Status::Invalid("--topic is required");
  if (!options.from_file.empty()) return ProduceLines(options);
  if (options.count <= 0) return Status::Invalid("--count must be > 0");
  if (options.rate < 0) return Status::Invalid("--rate must be >= 0 (0: as fast as possible)");
  gen::DatasetSpec spec;
  const auto& presets = gen::PresetNames();
  if (std::find(presets.begin(), presets.end(), options.schema) != presets.end()) {
    NL_ASSIGN_OR_RETURN(spec, gen::PresetSpec(options.schema));
  } else {
    NL_ASSIGN_OR_RETURN(spec, gen::LoadDatasetSpecFile(options.schema));
  }
  NL_ASSIGN_OR_RETURN(gen::Dataset dataset, gen::CompileDataset(spec));
  int key_column = 0;
  if (!options.key.empty()) {
    key_column = -1;
    for (size_t i = 0; i < dataset.fields.size(); ++i) {
      if (dataset.fields[i]->name() == options.key) key_column = static_cast<int>(i);
    }
    if (key_column < 0) {
      return Status::Invalid("--key: dataset '" + dataset.name + "' has no column '" +
                             options.key + "'");
    }
  }

  DeliveryState state;
  Status created;
  rd_kafka_t* producer = NewProducer(options, &state, &created);
  if (producer == nullptr) return created;

  ProduceSummary summary;
  auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  constexpr int64_t kChunk = 10'000;
  Status status;
  for (int64_t first = 0; first < options.count && status.ok(); first += kChunk) {
    if (options.stop != nullptr && options.stop->load()) break;
    int64_t rows = std::min(kChunk, options.count - first);
    engine::ColumnBatch batch = dataset.Generate(options.seed, options.first_row + first, rows);
    std::string text;
    gen::AppendJsonLines(batch, &text);
    auto lines = Lines(text);
    for (size_t row = 0; row < lines.size(); ++row) {
      if (options.rate > 0) {
        auto due = start + std::chrono::duration<double>((summary.messages) / options.rate);
        std::this_thread::sleep_until(due);
      }
      std::string key = KeyText(batch.columns[key_column], row);
      rd_kafka_resp_err_t err = Send(producer, options.topic, &key, lines[row]);
      if (err) {
        status = Status::IOError(std::string("producing to ") + options.topic + ": " +
                                 rd_kafka_err2str(err));
        break;
      }
      summary.messages++;
      summary.bytes += static_cast<int64_t>(lines[row].size());
    }
    rd_kafka_poll(producer, 0);
    if (options.log != nullptr &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_report).count() >
            2.0) {
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      *options.log << "produce: " << summary.messages << "/" << options.count << " messages, "
                   << std::fixed << std::setprecision(0) << summary.messages / elapsed
                   << " msg/s\n";
      last_report = std::chrono::steady_clock::now();
    }
  }
  if (!status.ok()) {
    rd_kafka_destroy(producer);
    return status;
  }
  NL_RETURN_NOT_OK(FinishProducer(producer, options, state));
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace neuralake::ingest
