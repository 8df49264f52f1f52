// Typed Columns (scan.h) -> DuckDB vectors: the inverse of the scan's AppendRows.
#include "neuralake/engine/source_scan.h"

namespace neuralake::engine {
namespace {

using duckdb::idx_t;

template <typename T, typename Get>
void FillScalars(duckdb::Vector& vector, idx_t count, Get get) {
  T* data = duckdb::FlatVector::GetData<T>(vector);
  for (idx_t row = 0; row < count; ++row) data[row] = get(row);
}

duckdb::hugeint_t Huge(__int128 value) {
  duckdb::hugeint_t result;
  result.lower = static_cast<uint64_t>(static_cast<unsigned __int128>(value));
  result.upper = static_cast<int64_t>(value >> 64);
  return result;
}

// Lists and maps: row i's entries are [offsets[offset + i], offsets[offset + i + 1]).
void FillEntries(const Column& column, duckdb::Vector& vector, idx_t offset, idx_t count) {
  int64_t first = column.offsets[offset];
  int64_t last = column.offsets[offset + count];
  auto* entries = duckdb::FlatVector::GetData<duckdb::list_entry_t>(vector);
  for (idx_t row = 0; row < count; ++row) {
    entries[row].offset = static_cast<idx_t>(column.offsets[offset + row] - first);
    entries[row].length =
        static_cast<idx_t>(column.offsets[offset + row + 1] - column.offsets[offset + row]);
  }
  idx_t total = static_cast<idx_t>(last - first);
  duckdb::ListVector::Reserve(vector, total);
  duckdb::Vector& child = duckdb::ListVector::GetEntry(vector);
  if (column.type.id == ColumnType::Id::kList) {
    FillVector(column.children[0], child, static_cast<idx_t>(first), total);
  } else {
    auto& key_value = duckdb::StructVector::GetEntries(child);
    FillVector(column.children[0], *key_value[0], static_cast<idx_t>(first), total);
    FillVector(column.children[1], *key_value[1], static_cast<idx_t>(first), total);
  }
  duckdb::ListVector::SetListSize(vector, total);
}

}  // namespace

void FillVector(const Column& column, duckdb::Vector& vector, idx_t offset, idx_t count) {
  using Id = ColumnType::Id;
  vector.SetVectorType(duckdb::VectorType::FLAT_VECTOR);
  if (!column.valid.empty()) {
    auto& validity = duckdb::FlatVector::Validity(vector);
    for (idx_t row = 0; row < count; ++row) {
      if (column.valid[offset + row] == 0) validity.SetInvalid(row);
    }
  }
  auto ints = [&](idx_t row) { return column.ints[offset + row]; };
  auto doubles = [&](idx_t row) { return column.doubles[offset + row]; };
  switch (column.type.id) {
    case Id::kBoolean:
      return FillScalars<bool>(vector, count, [&](idx_t row) { return ints(row) != 0; });
    case Id::kInt8:
      return FillScalars<int8_t>(vector, count, [&](idx_t row) { return static_cast<int8_t>(ints(row)); });
    case Id::kInt16:
      return FillScalars<int16_t>(vector, count, [&](idx_t row) { return static_cast<int16_t>(ints(row)); });
    case Id::kInt32:
      return FillScalars<int32_t>(vector, count, [&](idx_t row) { return static_cast<int32_t>(ints(row)); });
    case Id::kInt64:
    case Id::kTimestamp:
    case Id::kTimestampNtz:
      return FillScalars<int64_t>(vector, count, ints);
    case Id::kDate:
      return FillScalars<int32_t>(vector, count, [&](idx_t row) { return static_cast<int32_t>(ints(row)); });
    case Id::kFloat:
      return FillScalars<float>(vector, count, [&](idx_t row) { return static_cast<float>(doubles(row)); });
    case Id::kDouble:
      return FillScalars<double>(vector, count, doubles);
    case Id::kDecimal: {
      auto value = [&](idx_t row) { return column.decimals[offset + row]; };
      switch (vector.GetType().InternalType()) {
        case duckdb::PhysicalType::INT16:
          return FillScalars<int16_t>(vector, count, [&](idx_t row) { return static_cast<int16_t>(value(row)); });
        case duckdb::PhysicalType::INT32:
          return FillScalars<int32_t>(vector, count, [&](idx_t row) { return static_cast<int32_t>(value(row)); });
        case duckdb::PhysicalType::INT64:
          return FillScalars<int64_t>(vector, count, [&](idx_t row) { return static_cast<int64_t>(value(row)); });
        default:
          return FillScalars<duckdb::hugeint_t>(vector, count, [&](idx_t row) { return Huge(value(row)); });
      }
    }
    case Id::kString:
    case Id::kBinary: {
      auto* data = duckdb::FlatVector::GetData<duckdb::string_t>(vector);
      for (idx_t row = 0; row < count; ++row) {
        const std::string& text = column.strings[offset + row];
        data[row] = duckdb::StringVector::AddStringOrBlob(vector, text.data(), text.size());
      }
      return;
    }
    case Id::kStruct: {
      auto& fields = duckdb::StructVector::GetEntries(vector);
      for (size_t i = 0; i < fields.size() && i < column.children.size(); ++i) {
        FillVector(column.children[i], *fields[i], offset, count);
      }
      return;
    }
    case Id::kList:
    case Id::kMap:
      return FillEntries(column, vector, offset, count);
  }
}

}  // namespace neuralake::engine
