// JSON messages -> columns of a Bronze table.
//
// A RecordSchema lists the table's columns with their kinds. Message fields map to columns by name,
// or through `renames` (message field -> column). Four derived columns are filled from the Kafka
// record, not from the payload, when the table has them:
//
//   _kafka_partition INTEGER, _kafka_offset BIGINT, _kafka_timestamp TIMESTAMPTZ,
//   _ingested_at TIMESTAMPTZ (when the consumer flushed the batch)
//
// Casting rules (a message that breaks one goes to the dead-letter table, naming the field):
//   BIGINT/INTEGER  JSON integer (or a double with an integral value); INTEGER range-checked
//   DOUBLE          any JSON number
//   BOOLEAN         true / false
//   VARCHAR         a string; numbers and booleans are kept as their JSON text
//   TIMESTAMPTZ     "YYYY-MM-DD[T| ]HH:MM:SS[.ffffff][Z|+00:00]" (UTC) or an integer (epoch us)
//   DATE            "YYYY-MM-DD" or an integer (days since 1970-01-01)
// Missing fields and JSON null are NULL. Fields the table does not have are ignored, or recorded
// as new columns when schema evolution is on (their kind inferred from the first value seen).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/column_batch.h"

namespace neuralake::delta {
struct Schema;
}

namespace neuralake::ingest {

struct RecordColumn {
  std::string name;
  engine::ColumnKind kind = engine::ColumnKind::kString;
};

using RecordSchema = std::vector<RecordColumn>;

inline constexpr const char* kPartitionColumn = "_kafka_partition";
inline constexpr const char* kOffsetColumn = "_kafka_offset";
inline constexpr const char* kTimestampColumn = "_kafka_timestamp";
inline constexpr const char* kIngestedAtColumn = "_ingested_at";

// The derived Kafka columns appended to a payload schema for a new Bronze table.
RecordSchema WithKafkaColumns(RecordSchema payload);

// Delta schema <-> record schema (primitive types only; others are Unsupported, naming the column).
Result<RecordSchema> RecordSchemaFromDelta(const delta::Schema& schema);
delta::Schema DeltaSchemaFromRecord(const RecordSchema& schema);

// The payload columns of a generator preset ("events", "telemetry") or spec file.
Result<RecordSchema> RecordSchemaFromDataset(const std::string& preset_or_spec_file);

struct MessageMeta {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_us = 0;  // Kafka message timestamp; 0 when the broker gave none
};

// Parses "YYYY-MM-DD[T| ]HH:MM:SS[.ffffff][Z|+00:00]" as UTC microseconds.
std::optional<int64_t> ParseTimestampMicros(std::string_view text);

class BatchBuilder {
 public:
  BatchBuilder(RecordSchema schema, std::map<std::string, std::string> renames,
               bool evolve_schema);
  ~BatchBuilder();

  // Appends the message as one row. On a parse or cast error nothing is appended and the error
  // (Invalid, naming the field) is returned for the dead-letter table.
  Status Append(std::string_view payload, const MessageMeta& meta);

  int64_t rows() const { return batch_.num_rows; }
  // Columns found in messages that the table lacks (schema evolution on), in first-seen order.
  const RecordSchema& new_columns() const { return new_columns_; }
  void AcknowledgeNewColumns() { new_columns_.clear(); }
  const RecordSchema& schema() const { return schema_; }

  // The rows so far, with `ingested_at_us` in _ingested_at; resets the builder.
  engine::ColumnBatch Take(int64_t ingested_at_us);

 private:
  struct Parser;
  void Reset();

  RecordSchema schema_;
  std::map<std::string, std::string> renames_;  // message field -> column
  bool evolve_schema_;
  std::map<std::string, size_t, std::less<>> index_;  // field name in messages -> column
  RecordSchema new_columns_;
  engine::ColumnBatch batch_;
  std::unique_ptr<Parser> parser_;
};

}  // namespace neuralake::ingest
