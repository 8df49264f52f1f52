#include "neuralake/sql/postgres_columns.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <variant>

namespace neuralake::sql::postgres {
namespace {

using Id = engine::ColumnType::Id;
using Op = engine::ScanFilter::Op;

// Built-in type OIDs (pg_type.dat; stable across releases).
constexpr uint32_t kBoolOid = 16, kByteaOid = 17, kCharOid = 18, kNameOid = 19, kInt8Oid = 20,
                   kInt2Oid = 21, kInt4Oid = 23, kTextOid = 25, kOidOid = 26, kJsonOid = 114,
                   kFloat4Oid = 700, kFloat8Oid = 701, kBpcharOid = 1042, kVarcharOid = 1043,
                   kDateOid = 1082, kTimeOid = 1083, kTimestampOid = 1114,
                   kTimestamptzOid = 1184, kIntervalOid = 1186, kTimetzOid = 1266,
                   kNumericOid = 1700, kUuidOid = 2950, kJsonbOid = 3802;

constexpr int64_t kPgEpochDays = 10957;                    // 1970-01-01 -> 2000-01-01
constexpr int64_t kPgEpochMicros = kPgEpochDays * 86400LL * 1000000LL;

// How one scalar type is read.
struct ScalarRead {
  engine::ColumnType type;
  Wire wire;
  enum class Expr { kAsIs, kText, kFloat8 } expr = Expr::kAsIs;
  enum class Filter { kNative, kText, kJsonText, kUuid, kBpchar, kNone } filter = Filter::kNative;
};

std::optional<ScalarRead> ReadScalar(uint32_t oid, int typmod, char typtype, char category) {
  using E = ScalarRead::Expr;
  using F = ScalarRead::Filter;
  auto of = [](Id id) { return engine::ColumnType::Of(id); };
  switch (oid) {
    case kBoolOid: return ScalarRead{of(Id::kBoolean), Wire::kBool};
    case kInt2Oid: return ScalarRead{of(Id::kInt16), Wire::kInt2};
    case kInt4Oid: return ScalarRead{of(Id::kInt32), Wire::kInt4};
    case kInt8Oid: return ScalarRead{of(Id::kInt64), Wire::kInt8};
    case kOidOid: return ScalarRead{of(Id::kInt64), Wire::kOid};
    case kFloat4Oid: return ScalarRead{of(Id::kFloat), Wire::kFloat4};
    case kFloat8Oid: return ScalarRead{of(Id::kDouble), Wire::kFloat8};
    case kNumericOid: {
      if (typmod >= 4) {
        int precision = ((typmod - 4) >> 16) & 0xffff;
        int scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;  // PostgreSQL 15 allows scale < 0
        if (precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision) {
          return ScalarRead{engine::ColumnType::Decimal(precision, scale), Wire::kNumeric};
        }
      }
      return ScalarRead{of(Id::kDouble), Wire::kFloat8, E::kFloat8};
    }
    case kTextOid:
    case kVarcharOid:
    case kNameOid: return ScalarRead{of(Id::kString), Wire::kText, E::kAsIs, F::kText};
    case kBpcharOid: return ScalarRead{of(Id::kString), Wire::kText, E::kAsIs, F::kBpchar};
    case kJsonOid: return ScalarRead{of(Id::kString), Wire::kText, E::kAsIs, F::kJsonText};
    case kJsonbOid: return ScalarRead{of(Id::kString), Wire::kJsonb, E::kAsIs, F::kJsonText};
    case kUuidOid: return ScalarRead{of(Id::kString), Wire::kUuid, E::kAsIs, F::kUuid};
    case kByteaOid: return ScalarRead{of(Id::kBinary), Wire::kText, E::kAsIs, F::kNone};
    case kDateOid: return ScalarRead{of(Id::kDate), Wire::kDate};
    case kTimestampOid: return ScalarRead{of(Id::kTimestampNtz), Wire::kTimestamp};
    case kTimestamptzOid: return ScalarRead{of(Id::kTimestamp), Wire::kTimestamp};
    case kTimeOid:
    case kTimetzOid:
    case kIntervalOid:
    case kCharOid: return ScalarRead{of(Id::kString), Wire::kText, E::kText, F::kText};
    default: break;
  }
  // Enums and extension string types (citext, ...): their text form.
  if (typtype == 'e' || (typtype == 'b' && category == 'S')) {
    return ScalarRead{of(Id::kString), Wire::kText, E::kText, F::kText};
  }
  return std::nullopt;
}

Status Unmappable(const std::string& name, const std::string& pg_type) {
  return Status::Unsupported("column '" + name + "' has PostgreSQL type " + pg_type +
                             ", which neuralake cannot map; cast it in a `query:` (e.g. " +
                             QuoteIdentifier(name) + "::text)");
}

// ---- binary decoding ----------------------------------------------------------------------

inline uint16_t Be16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t Be32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t Be64(const char* p) { return (uint64_t{Be32(p)} << 32) | Be32(p + 4); }

const __int128* Pow10Table() {
  static const auto* table = [] {
    static __int128 values[39];
    values[0] = 1;
    for (int i = 1; i < 39; ++i) values[i] = values[i - 1] * 10;
    return values;
  }();
  return table;
}

// numeric's binary form: ndigits, weight, sign, dscale (int16 each), then base-10000 digits;
// digit i is worth 10000^(weight - i). Returns the value * 10^scale.
Result<__int128> DecodeNumeric(const char* p, int length, int scale) {
  if (length < 8) return Status::Invalid("truncated numeric value");
  int ndigits = static_cast<int16_t>(Be16(p));
  int weight = static_cast<int16_t>(Be16(p + 2));
  uint16_t sign = Be16(p + 4);
  if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
    return Status::Invalid("NaN or infinity in a numeric(p,s) column has no decimal value");
  }
  if (length < 8 + 2 * ndigits) return Status::Invalid("truncated numeric value");
  const __int128* pow10 = Pow10Table();
  __int128 value = 0;
  for (int i = 0; i < ndigits; ++i) {
    int64_t digit = Be16(p + 8 + 2 * i);
    int exponent = 4 * (weight - i) + scale;  // the digit's power of ten in unscaled units
    if (exponent >= 0) {
      if (exponent > 38) return Status::Invalid("numeric value wider than 38 digits");
      value += digit * pow10[exponent];
    } else if (exponent > -4) {
      value += digit / static_cast<int64_t>(pow10[-exponent]);
    }
  }
  return sign == 0x4000 ? -value : value;
}

void AppendUuid(const char* p, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->resize(36);
  size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) (*out)[at++] = '-';
    auto byte = static_cast<unsigned char>(p[i]);
    (*out)[at++] = kHex[byte >> 4];
    (*out)[at++] = kHex[byte & 15];
  }
}

int64_t ShiftEpoch(int64_t value, int64_t shift) {
  // PostgreSQL's +-infinity are the extreme values; keep them extreme rather than overflow.
  if (value == std::numeric_limits<int64_t>::max() || value == std::numeric_limits<int64_t>::min()) {
    return value;
  }
  return value + shift;
}

// Appends one non-NULL scalar value of `length` bytes at `p` to `out`.
Status AppendScalar(Wire wire, const engine::ColumnType& type, const char* p, int length,
                    engine::Column* out) {
  auto need = [&](int bytes) {
    return length == bytes ? Status::OK()
                           : Status::Invalid("unexpected binary value of " +
                                             std::to_string(length) + " bytes");
  };
  switch (wire) {
    case Wire::kBool: NL_RETURN_NOT_OK(need(1)); out->ints.push_back(p[0] != 0); break;
    case Wire::kInt2:
      NL_RETURN_NOT_OK(need(2));
      out->ints.push_back(static_cast<int16_t>(Be16(p)));
      break;
    case Wire::kInt4:
      NL_RETURN_NOT_OK(need(4));
      out->ints.push_back(static_cast<int32_t>(Be32(p)));
      break;
    case Wire::kOid: NL_RETURN_NOT_OK(need(4)); out->ints.push_back(Be32(p)); break;
    case Wire::kInt8:
      NL_RETURN_NOT_OK(need(8));
      out->ints.push_back(static_cast<int64_t>(Be64(p)));
      break;
    case Wire::kFloat4: {
      NL_RETURN_NOT_OK(need(4));
      uint32_t bits = Be32(p);
      float value;
      std::memcpy(&value, &bits, 4);
      out->doubles.push_back(value);
      break;
    }
    case Wire::kFloat8: {
      NL_RETURN_NOT_OK(need(8));
      uint64_t bits = Be64(p);
      double value;
      std::memcpy(&value, &bits, 8);
      out->doubles.push_back(value);
      break;
    }
    case Wire::kNumeric: {
      NL_ASSIGN_OR_RETURN(__int128 value, DecodeNumeric(p, length, type.scale));
      out->decimals.push_back(value);
      break;
    }
    case Wire::kText: out->strings.emplace_back(p, static_cast<size_t>(length)); break;
    case Wire::kJsonb:
      if (length < 1 || p[0] != 1) return Status::Invalid("unknown jsonb binary version");
      out->strings.emplace_back(p + 1, static_cast<size_t>(length - 1));
      break;
    case Wire::kUuid:
      NL_RETURN_NOT_OK(need(16));
      out->strings.emplace_back();
      AppendUuid(p, &out->strings.back());
      break;
    case Wire::kDate:
      NL_RETURN_NOT_OK(need(4));
      out->ints.push_back(static_cast<int32_t>(Be32(p)) + kPgEpochDays);
      break;
    case Wire::kTimestamp:
      NL_RETURN_NOT_OK(need(8));
      out->ints.push_back(ShiftEpoch(static_cast<int64_t>(Be64(p)), kPgEpochMicros));
      break;
  }
  return Status::OK();
}

// The default value a NULL slot holds.
void AppendNull(Wire wire, engine::Column* out) {
  switch (wire) {
    case Wire::kFloat4:
    case Wire::kFloat8: out->doubles.push_back(0); break;
    case Wire::kNumeric: out->decimals.push_back(0); break;
    case Wire::kText:
    case Wire::kJsonb:
    case Wire::kUuid: out->strings.emplace_back(); break;
    default: out->ints.push_back(0); break;
  }
}

void Reserve(Wire wire, size_t rows, engine::Column* out) {
  switch (wire) {
    case Wire::kFloat4:
    case Wire::kFloat8: out->doubles.reserve(rows); break;
    case Wire::kNumeric: out->decimals.reserve(rows); break;
    case Wire::kText:
    case Wire::kJsonb:
    case Wire::kUuid: out->strings.reserve(rows); break;
    default: out->ints.reserve(rows); break;
  }
}

// A one-dimensional array: ndim, has-null flag, element oid, (size, lower bound) per dimension,
// then (length, bytes) per element, length -1 for NULL.
Status AppendArray(const PgColumn& column, const char* p, int length, engine::Column* elements) {
  if (length < 12) return Status::Invalid("truncated array value");
  int ndim = static_cast<int32_t>(Be32(p));
  if (ndim == 0) return Status::OK();
  if (ndim != 1) {
    return Status::Invalid("column '" + column.name + "' holds a " + std::to_string(ndim) +
                           "-dimensional array; neuralake reads one-dimensional arrays");
  }
  if (length < 20) return Status::Invalid("truncated array value");
  int count = static_cast<int32_t>(Be32(p + 12));
  const char* at = p + 20;
  const char* end = p + length;
  const engine::ColumnType& element_type = column.type.children[0];
  for (int i = 0; i < count; ++i) {
    if (end - at < 4) return Status::Invalid("truncated array value");
    int element_length = static_cast<int32_t>(Be32(at));
    at += 4;
    if (element_length < 0) {
      elements->valid.push_back(0);
      AppendNull(column.wire, elements);
    } else {
      if (end - at < element_length) return Status::Invalid("truncated array value");
      elements->valid.push_back(1);
      NL_RETURN_NOT_OK(AppendScalar(column.wire, element_type, at, element_length, elements));
      at += element_length;
    }
    ++elements->length;
  }
  return Status::OK();
}

void DropAllValid(engine::Column* column) {
  for (uint8_t valid : column->valid) {
    if (!valid) return;
  }
  column->valid.clear();
}

std::optional<std::string> ParamText(const engine::QueryParam& value) {
  if (std::holds_alternative<bool>(value)) return std::get<bool>(value) ? "true" : "false";
  if (std::holds_alternative<int64_t>(value)) return std::to_string(std::get<int64_t>(value));
  if (std::holds_alternative<double>(value)) {
    double number = std::get<double>(value);
    if (std::isnan(number)) return "NaN";
    if (std::isinf(number)) return number > 0 ? "Infinity" : "-Infinity";
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", number);
    return buffer;
  }
  if (std::holds_alternative<std::string>(value)) {
    const auto& text = std::get<std::string>(value);
    if (text.find('\0') != std::string::npos) return std::nullopt;  // not a text parameter
    return text;
  }
  return std::nullopt;
}

// Binds `values` cast to `cast`: "$1::int4, $2::int4"; nullopt if one cannot be bound.
std::optional<std::string> BindAll(const std::vector<engine::QueryParam>& values,
                                   const std::string& cast, std::vector<std::string>& params) {
  std::string list;
  for (const auto& value : values) {
    auto text = ParamText(value);
    if (!text) return std::nullopt;
    params.push_back(std::move(*text));
    list += (list.empty() ? "$" : ", $") + std::to_string(params.size()) + "::" + cast;
  }
  return list;
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

Result<PgColumn> MapColumn(const std::string& name, const PgTypeInfo& info) {
  PgColumn column;
  column.name = name;
  column.pg_type = info.format;
  std::string quoted = QuoteIdentifier(name);
  bool array = info.category == 'A' && info.element != 0;
  auto read = array ? ReadScalar(info.element, info.typmod, info.element_typtype,
                                 info.element_category)
                    : ReadScalar(info.oid, info.typmod, info.typtype, info.category);
  if (!read) return Unmappable(name, info.format);
  column.wire = read->wire;
  using E = ScalarRead::Expr;
  using F = ScalarRead::Filter;
  if (array) {
    column.array = true;
    column.type = engine::ColumnType::List(read->type);
    // Text-like elements are read (and filtered) as text[] so `&&` / `@>` compare like types.
    bool text_elements = read->type.id == Id::kString && read->wire == Wire::kText;
    if (read->expr == E::kFloat8) {
      column.select_expr = quoted + "::float8[]";
      column.element_cast = "float8";
    } else if (text_elements) {
      column.select_expr = quoted + "::text[]";
      column.element_cast = "text";
    } else {
      column.select_expr = quoted;
      column.element_cast = info.element_format;
    }
    if (read->type.id == Id::kBinary) column.element_cast.clear();  // bytes do not bind as text
    return column;
  }
  column.type = read->type;
  switch (read->expr) {
    case E::kAsIs: column.select_expr = quoted; break;
    case E::kText: column.select_expr = quoted + "::text"; break;
    case E::kFloat8: column.select_expr = quoted + "::float8"; break;
  }
  switch (read->filter) {
    case F::kNative: {
      std::string cast = read->expr == E::kFloat8 ? "float8" : info.format;
      column.eq_expr = column.cmp_expr = column.select_expr;
      column.eq_cast = column.cmp_cast = cast;
      break;
    }
    case F::kText:
      column.eq_expr = column.cmp_expr = column.select_expr;
      column.eq_cast = column.cmp_cast = "text";
      column.text_order = true;
      break;
    case F::kJsonText:
      column.eq_expr = column.cmp_expr = quoted + "::text";
      column.eq_cast = column.cmp_cast = "text";
      column.text_order = true;
      break;
    case F::kUuid:
      column.eq_expr = quoted;
      column.eq_cast = "uuid";
      column.cmp_expr = quoted + "::text";
      column.cmp_cast = "text";
      column.text_order = true;
      break;
    case F::kBpchar:  // bpchar ignores trailing blanks when comparing; only = / IN keep rows
      column.eq_expr = quoted;
      column.eq_cast = "bpchar";
      break;
    case F::kNone: break;
  }
  return column;
}

std::optional<std::string> FilterSql(const engine::ScanFilter& filter, const PgColumn& column,
                                     std::vector<std::string>& params) {
  size_t mark = params.size();
  auto bind = [&](const std::vector<engine::QueryParam>& values, const std::string& cast) {
    auto list = BindAll(values, cast, params);
    if (!list) params.resize(mark);
    return list;
  };
  std::string quoted = QuoteIdentifier(column.name);
  std::optional<std::string> list;
  std::string op;
  switch (filter.op) {
    case Op::kIsNull: return quoted + " IS NULL";
    case Op::kIsNotNull: return quoted + " IS NOT NULL";
    case Op::kEqual:
    case Op::kIn:
      if (column.eq_expr.empty()) return std::nullopt;
      if (filter.op == Op::kEqual) {
        if (!(list = bind({filter.value}, column.eq_cast))) return std::nullopt;
        return column.eq_expr + " = " + *list;
      }
      if (!(list = bind(filter.values, column.eq_cast))) return std::nullopt;
      return column.eq_expr + " IN (" + *list + ")";
    case Op::kNotIn:
      if (column.cmp_expr.empty() || !(list = bind(filter.values, column.cmp_cast))) {
        return std::nullopt;
      }
      return column.cmp_expr + " NOT IN (" + *list + ")";
    case Op::kNotEqual: op = " <> "; break;
    case Op::kLess: op = " < "; break;
    case Op::kLessOrEqual: op = " <= "; break;
    case Op::kGreater: op = " > "; break;
    case Op::kGreaterOrEqual: op = " >= "; break;
    case Op::kContains:
    case Op::kStartsWith:
    case Op::kEndsWith: {
      if (column.cmp_expr.empty() || !(list = bind({filter.value}, "text"))) return std::nullopt;
      if (filter.op == Op::kContains) return "strpos(" + column.cmp_expr + ", " + *list + ") > 0";
      if (filter.op == Op::kStartsWith) return "starts_with(" + column.cmp_expr + ", " + *list + ")";
      return "right(" + column.cmp_expr + ", char_length(" + *list + ")) = " + *list;
    }
    case Op::kIncludes:
      if (column.element_cast.empty() || !(list = bind({filter.value}, column.element_cast))) {
        return std::nullopt;
      }
      return *list + " = ANY(" + column.select_expr + ")";
    case Op::kIncludesAny:
    case Op::kIncludesAll:
      if (column.element_cast.empty() || !(list = bind(filter.values, column.element_cast))) {
        return std::nullopt;
      }
      return column.select_expr + (filter.op == Op::kIncludesAny ? " && " : " @> ") + "ARRAY[" +
             *list + "]";
  }
  // The ordering comparisons and <>.
  if (column.cmp_expr.empty() || !(list = bind({filter.value}, column.cmp_cast))) {
    return std::nullopt;
  }
  bool collate = column.text_order && filter.op != Op::kNotEqual;
  return (collate ? "(" + column.cmp_expr + ") COLLATE \"C\"" : column.cmp_expr) + op + *list;
}

Status DecodeColumn(const Cells& cells, int field, const PgColumn& column, engine::Column* out) {
  int rows = cells.rows();
  *out = engine::Column{};
  out->name = column.name;
  out->type = column.type;
  out->length = rows;
  out->valid.assign(static_cast<size_t>(rows), 1);
  if (column.array) {
    out->offsets.reserve(static_cast<size_t>(rows) + 1);
    out->offsets.push_back(0);
    out->children.emplace_back();
    engine::Column& elements = out->children[0];
    elements.name = "element";
    elements.type = column.type.children[0];
    for (int row = 0; row < rows; ++row) {
      Cell cell = cells.Get(row, field);
      if (!cell.data) {
        out->valid[static_cast<size_t>(row)] = 0;
      } else {
        NL_RETURN_NOT_OK(AppendArray(column, cell.data, cell.length, &elements));
      }
      out->offsets.push_back(elements.length);
    }
    DropAllValid(&elements);
    DropAllValid(out);
    return Status::OK();
  }
  Reserve(column.wire, static_cast<size_t>(rows), out);
  for (int row = 0; row < rows; ++row) {
    Cell cell = cells.Get(row, field);
    if (!cell.data) {
      out->valid[static_cast<size_t>(row)] = 0;
      AppendNull(column.wire, out);
      continue;
    }
    Status status = AppendScalar(column.wire, column.type, cell.data, cell.length, out);
    if (!status.ok()) return status.WithContext("column '" + column.name + "'");
  }
  DropAllValid(out);
  return Status::OK();
}

}  // namespace neuralake::sql::postgres
