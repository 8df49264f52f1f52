#include "neuralake/ingest/decoder.h"

#include <cctype>
#include <limits>

#include <simdjson.h>

#include "neuralake/common/time.h"
#include "neuralake/delta/schema.h"
#include "neuralake/gen/dataset.h"

namespace neuralake::ingest {

using engine::ColumnKind;

namespace {

std::optional<int64_t> ParseDateDays(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  auto micros = ParseUtcTimestampMicros(text);
  if (!micros) return std::nullopt;
  return *micros / 86'400'000'000;
}

const char* DeltaTypeOf(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kBool: return "boolean";
    case ColumnKind::kInt32: return "integer";
    case ColumnKind::kInt64: return "long";
    case ColumnKind::kDouble: return "double";
    case ColumnKind::kString: return "string";
    case ColumnKind::kTimestampMicros: return "timestamp";
    case ColumnKind::kDate: return "date";
  }
  return "string";
}

void PushNull(engine::ColumnData& column) {
  size_t rows = column.ints.size() + column.doubles.size() + column.strings.size();
  (void)rows;
  switch (column.kind) {
    case ColumnKind::kDouble: column.doubles.push_back(0); break;
    case ColumnKind::kString: column.strings.emplace_back(); break;
    default: column.ints.push_back(0); break;
  }
}

size_t ColumnSize(const engine::ColumnData& column) {
  switch (column.kind) {
    case ColumnKind::kDouble: return column.doubles.size();
    case ColumnKind::kString: return column.strings.size();
    default: return column.ints.size();
  }
}

void MarkValidity(engine::ColumnData& column, bool valid) {
  size_t rows = ColumnSize(column);  // already includes the new value
  if (column.valid.empty()) {
    if (valid) return;
    column.valid.assign(rows - 1, 1);
  }
  column.valid.push_back(valid ? 1 : 0);
}

// One decoded cell before it is committed to the batch (two-phase: a bad field appends nothing).
struct Cell {
  bool null = true;
  int64_t integer = 0;
  double number = 0;
  std::string text;
};

}  // namespace

std::optional<int64_t> ParseTimestampMicros(std::string_view text) {
  return ParseUtcTimestampMicros(text);
}

RecordSchema WithKafkaColumns(RecordSchema payload) {
  payload.push_back({kPartitionColumn, ColumnKind::kInt32});
  payload.push_back({kOffsetColumn, ColumnKind::kInt64});
  payload.push_back({kTimestampColumn, ColumnKind::kTimestampMicros});
  payload.push_back({kIngestedAtColumn, ColumnKind::kTimestampMicros});
  return payload;
}

Result<RecordSchema> RecordSchemaFromDelta(const delta::Schema& schema) {
  RecordSchema out;
  for (const auto& field : schema.fields) {
    std::string type = delta::DataTypeToJson(field.type).is_string()
                           ? delta::DataTypeToJson(field.type).get<std::string>()
                           : std::string("complex");
    ColumnKind kind;
    if (type == "boolean") kind = ColumnKind::kBool;
    else if (type == "integer" || type == "short" || type == "byte") kind = ColumnKind::kInt32;
    else if (type == "long") kind = ColumnKind::kInt64;
    else if (type == "double" || type == "float") kind = ColumnKind::kDouble;
    else if (type == "string") kind = ColumnKind::kString;
    else if (type == "timestamp" || type == "timestamp_ntz") kind = ColumnKind::kTimestampMicros;
    else if (type == "date") kind = ColumnKind::kDate;
    else {
      return Status::Unsupported("column '" + field.name + "' has type " + type +
                                 ", which ingestion cannot fill from JSON (primitive types only)");
    }
    out.push_back({field.name, kind});
  }
  return out;
}

delta::Schema DeltaSchemaFromRecord(const RecordSchema& schema) {
  delta::Schema out;
  for (const auto& column : schema) {
    delta::StructField field;
    field.name = column.name;
    field.type = delta::DataType::Primitive(DeltaTypeOf(column.kind));
    field.nullable = true;
    out.fields.push_back(std::move(field));
  }
  return out;
}

Result<RecordSchema> RecordSchemaFromDataset(const std::string& preset_or_spec_file) {
  gen::DatasetSpec spec;
  const auto& presets = gen::PresetNames();
  if (std::find(presets.begin(), presets.end(), preset_or_spec_file) != presets.end()) {
    NL_ASSIGN_OR_RETURN(spec, gen::PresetSpec(preset_or_spec_file));
  } else {
    NL_ASSIGN_OR_RETURN(spec, gen::LoadDatasetSpecFile(preset_or_spec_file));
  }
  NL_ASSIGN_OR_RETURN(gen::Dataset dataset, gen::CompileDataset(spec));
  engine::ColumnBatch sample = dataset.Generate(1, 0, 1);
  RecordSchema out;
  for (const auto& column : sample.columns) out.push_back({column.name, column.kind});
  return out;
}

struct BatchBuilder::Parser {
  simdjson::dom::parser parser;
  simdjson::padded_string buffer;
};

BatchBuilder::BatchBuilder(RecordSchema schema, std::map<std::string, std::string> renames,
                           bool evolve_schema)
    : schema_(std::move(schema)),
      renames_(std::move(renames)),
      evolve_schema_(evolve_schema),
      parser_(std::make_unique<Parser>()) {
  std::map<std::string, std::string> column_to_field;
  for (const auto& [field, column] : renames_) column_to_field[column] = field;
  for (size_t i = 0; i < schema_.size(); ++i) {
    auto renamed = column_to_field.find(schema_[i].name);
    index_[renamed == column_to_field.end() ? schema_[i].name : renamed->second] = i;
  }
  Reset();
}

BatchBuilder::~BatchBuilder() = default;

void BatchBuilder::Reset() {
  batch_ = engine::ColumnBatch();
  for (const auto& column : schema_) {
    engine::ColumnData data;
    data.name = column.name;
    data.kind = column.kind;
    batch_.columns.push_back(std::move(data));
  }
}

Status BatchBuilder::Append(std::string_view payload, const MessageMeta& meta) {
  using simdjson::dom::element_type;
  simdjson::dom::element root;
  auto error = parser_->parser.parse(payload.data(), payload.size()).get(root);
  if (error) {
    return Status::Invalid(std::string("not valid JSON: ") + simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get(object)) return Status::Invalid("the message is not a JSON object");

  std::vector<Cell> cells(schema_.size());
  std::vector<std::pair<RecordColumn, Cell>> added;
  for (auto field : object) {
    std::string_view key = field.key;
    auto found = index_.find(key);
    size_t column_index;
    ColumnKind kind;
    Cell* cell;
    if (found == index_.end()) {
      if (!evolve_schema_ || field.value.is_null()) continue;
      // A new column: its kind is inferred from this first value.
      switch (field.value.type()) {
        case element_type::BOOL: kind = ColumnKind::kBool; break;
        case element_type::INT64:
        case element_type::UINT64: kind = ColumnKind::kInt64; break;
        case element_type::DOUBLE: kind = ColumnKind::kDouble; break;
        default: kind = ColumnKind::kString; break;
      }
      added.push_back({RecordColumn{std::string(key), kind}, Cell{}});
      cell = &added.back().second;
      column_index = std::numeric_limits<size_t>::max();
    } else {
      column_index = found->second;
      kind = schema_[column_index].kind;
      cell = &cells[column_index];
    }
    (void)column_index;
    auto value = field.value;
    if (value.is_null()) continue;
    auto bad = [&](const char* expected) {
      return Status::Invalid("field '" + std::string(key) + "': expected " + expected + ", got " +
                             simdjson::minify(value));
    };
    cell->null = false;
    switch (kind) {
      case ColumnKind::kBool: {
        bool b;
        if (value.get(b)) return bad("true or false");
        cell->integer = b ? 1 : 0;
        break;
      }
      case ColumnKind::kInt32:
      case ColumnKind::kInt64: {
        int64_t i;
        double d;
        if (!value.get(i)) {
          cell->integer = i;
        } else if (!value.get(d) && d == static_cast<double>(static_cast<int64_t>(d))) {
          cell->integer = static_cast<int64_t>(d);
        } else {
          return bad("an integer");
        }
        if (kind == ColumnKind::kInt32 &&
            (cell->integer < std::numeric_limits<int32_t>::min() ||
             cell->integer > std::numeric_limits<int32_t>::max())) {
          return bad("a 32-bit integer");
        }
        break;
      }
      case ColumnKind::kDouble: {
        double d;
        if (value.get(d)) return bad("a number");
        cell->number = d;
        break;
      }
      case ColumnKind::kString: {
        std::string_view s;
        if (!value.get(s)) {
          cell->text.assign(s);
        } else if (value.is_number() || value.is_bool()) {
          cell->text = simdjson::minify(value);
        } else {
          return bad("a string");
        }
        break;
      }
      case ColumnKind::kTimestampMicros: {
        std::string_view s;
        int64_t i;
        if (!value.get(s)) {
          auto micros = ParseTimestampMicros(s);
          if (!micros) return bad("an ISO-8601 timestamp like 2026-01-01T00:00:00Z or with an offset +02:00");
          cell->integer = *micros;
        } else if (!value.get(i)) {
          cell->integer = i;
        } else {
          return bad("a timestamp");
        }
        break;
      }
      case ColumnKind::kDate: {
        std::string_view s;
        int64_t i;
        if (!value.get(s)) {
          auto days = ParseDateDays(s);
          if (!days || s.size() != 10) return bad("a date like 2026-01-01");
          cell->integer = *days;
        } else if (!value.get(i)) {
          cell->integer = i;
        } else {
          return bad("a date");
        }
        break;
      }
    }
  }
  // Derived columns.
  for (size_t i = 0; i < schema_.size(); ++i) {
    const std::string& name = schema_[i].name;
    if (name == kPartitionColumn) {
      cells[i] = Cell{false, meta.partition};
    } else if (name == kOffsetColumn) {
      cells[i] = Cell{false, meta.offset};
    } else if (name == kTimestampColumn) {
      cells[i] = meta.timestamp_us > 0 ? Cell{false, meta.timestamp_us} : Cell{};
    } else if (name == kIngestedAtColumn) {
      cells[i] = Cell{false, 0};  // set in Take()
    }
  }
  // Commit: new columns first (NULL for the earlier rows), then the row.
  for (auto& [column, cell] : added) {
    index_[column.name] = schema_.size();
    schema_.push_back(column);
    new_columns_.push_back(column);
    engine::ColumnData data;
    data.name = column.name;
    data.kind = column.kind;
    for (int64_t r = 0; r < batch_.num_rows; ++r) PushNull(data);
    if (batch_.num_rows > 0) data.valid.assign(static_cast<size_t>(batch_.num_rows), 0);
    batch_.columns.push_back(std::move(data));
    cells.push_back(std::move(cell));
  }
  for (size_t i = 0; i < schema_.size(); ++i) {
    engine::ColumnData& column = batch_.columns[i];
    Cell& cell = cells[i];
    switch (column.kind) {
      case ColumnKind::kDouble: column.doubles.push_back(cell.number); break;
      case ColumnKind::kString: column.strings.push_back(std::move(cell.text)); break;
      default: column.ints.push_back(cell.integer); break;
    }
    MarkValidity(column, !cell.null);
  }
  ++batch_.num_rows;
  return Status::OK();
}

engine::ColumnBatch BatchBuilder::Take(int64_t ingested_at_us) {
  for (auto& column : batch_.columns) {
    if (column.name == kIngestedAtColumn) {
      for (auto& value : column.ints) value = ingested_at_us;
    }
  }
  engine::ColumnBatch out = std::move(batch_);
  Reset();
  return out;
}

}  // namespace neuralake::ingest
