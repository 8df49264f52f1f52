#include "neuralake/engine/source.h"

namespace neuralake::engine {
namespace {

class VectorStream final : public BatchStream {
 public:
  explicit VectorStream(std::vector<RecordBatch> batches) : batches_(std::move(batches)) {}

  Result<bool> Next(RecordBatch* batch) override {
    if (next_ >= batches_.size()) return false;
    *batch = std::move(batches_[next_++]);
    return true;
  }

 private:
  std::vector<RecordBatch> batches_;
  size_t next_ = 0;
};

ColumnType TypeOfKind(ColumnKind kind) {
  using Id = ColumnType::Id;
  switch (kind) {
    case ColumnKind::kBool: return ColumnType::Of(Id::kBoolean);
    case ColumnKind::kInt32: return ColumnType::Of(Id::kInt32);
    case ColumnKind::kInt64: return ColumnType::Of(Id::kInt64);
    case ColumnKind::kDouble: return ColumnType::Of(Id::kDouble);
    case ColumnKind::kString: return ColumnType::Of(Id::kString);
    case ColumnKind::kTimestampMicros: return ColumnType::Of(Id::kTimestamp);
    case ColumnKind::kDate: return ColumnType::Of(Id::kDate);
  }
  return ColumnType::Of(Id::kString);
}

}  // namespace

std::unique_ptr<BatchStream> StreamOf(std::vector<RecordBatch> batches) {
  return std::make_unique<VectorStream>(std::move(batches));
}

Result<RecordBatch> ProjectBatch(const TypedColumns& source, RecordBatch batch,
                                 const SourceRequest& request) {
  if (request.count_only) {
    RecordBatch counted;
    counted.num_rows = batch.num_rows;
    return counted;
  }
  if (request.scan.columns.empty()) return batch;
  RecordBatch projected;
  projected.num_rows = batch.num_rows;
  for (const std::string& name : request.scan.columns) {
    int index = batch.ColumnIndex(name);
    if (index < 0) {
      return Status::Invalid("unknown column '" + name + "' requested from a source");
    }
    // A column may be requested twice; copy unless this is its last use.
    projected.columns.push_back(batch.columns[static_cast<size_t>(index)]);
  }
  return projected;
}

RecordBatch ToRecordBatch(const ColumnBatch& batch) {
  RecordBatch out;
  out.num_rows = batch.num_rows;
  for (const ColumnData& data : batch.columns) {
    Column column;
    column.name = data.name;
    column.type = TypeOfKind(data.kind);
    column.length = batch.num_rows;
    column.valid = data.valid;
    column.ints = data.ints;
    column.doubles = data.doubles;
    column.strings = data.strings;
    out.columns.push_back(std::move(column));
  }
  return out;
}

}  // namespace neuralake::engine
