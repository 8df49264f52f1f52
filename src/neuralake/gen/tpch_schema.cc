// TPC-H tables and columns: names, the specification's column types, the code lists of coded text
// columns and the SELECT that turns a generated batch into specification types; calendar dates.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "neuralake/common/time.h"
#include "neuralake/gen/tpch.h"
#include "neuralake/gen/tpch_text.h"

namespace neuralake::gen {

// ---------------------------------------------------------------------------------------------
// Tables and columns.

const std::vector<TpchTable>& AllTpchTables() {
  static const std::vector<TpchTable> kTables = {
      TpchTable::kRegion,   TpchTable::kNation,   TpchTable::kSupplier, TpchTable::kPart,
      TpchTable::kPartsupp, TpchTable::kCustomer, TpchTable::kOrders,   TpchTable::kLineitem};
  return kTables;
}

std::string_view TpchTableName(TpchTable table) {
  switch (table) {
    case TpchTable::kRegion: return "region";
    case TpchTable::kNation: return "nation";
    case TpchTable::kSupplier: return "supplier";
    case TpchTable::kPart: return "part";
    case TpchTable::kPartsupp: return "partsupp";
    case TpchTable::kCustomer: return "customer";
    case TpchTable::kOrders: return "orders";
    case TpchTable::kLineitem: return "lineitem";
  }
  return "?";
}

Result<TpchTable> ParseTpchTable(std::string_view name) {
  for (TpchTable table : AllTpchTables()) {
    if (TpchTableName(table) == name) return table;
  }
  return Status::Invalid("unknown TPC-H table '" + std::string(name) +
                         "' (known: region, nation, supplier, part, partsupp, customer, orders, "
                         "lineitem)");
}

Result<std::vector<TpchTable>> ParseTpchTableList(std::string_view list) {
  std::set<TpchTable> chosen;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view name = list.substr(start, end - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) {
      NL_ASSIGN_OR_RETURN(TpchTable table, ParseTpchTable(name));
      chosen.insert(table);
    }
    start = end + 1;
  }
  std::vector<TpchTable> tables;
  for (TpchTable table : AllTpchTables()) {
    if (chosen.count(table) > 0 || chosen.empty()) tables.push_back(table);
  }
  return tables;
}

namespace {

using tpch::kContainerKind;
using tpch::kContainerSize;
using tpch::kInstructions;
using tpch::kPriorities;
using tpch::kSegments;
using tpch::kShipModes;
using tpch::kTypeFinish;
using tpch::kTypeMaterial;
using tpch::kTypeSize;

template <size_t N>
std::vector<std::string> CodesOf(const std::array<std::string_view, N>& words) {
  return std::vector<std::string>(words.begin(), words.end());
}

// Code lists of the coded text columns; the generator writes indexes into them.
const std::vector<std::string> kReturnFlagCodes = {"R", "A", "N"};
const std::vector<std::string> kLineStatusCodes = {"O", "F"};
const std::vector<std::string> kOrderStatusCodes = {"F", "O", "P"};
const std::vector<std::string> kInstructionCodes = CodesOf(kInstructions);
const std::vector<std::string> kShipModeCodes = CodesOf(kShipModes);
const std::vector<std::string> kPriorityCodes = CodesOf(kPriorities);
const std::vector<std::string> kSegmentCodes = CodesOf(kSegments);
const std::vector<std::string> kManufacturerCodes = [] {  // index m - 1
  std::vector<std::string> codes;
  for (int m = 1; m <= 5; ++m) codes.push_back("Manufacturer#" + std::to_string(m));
  return codes;
}();
const std::vector<std::string> kBrandCodes = [] {  // index (m - 1) * 5 + (n - 1)
  std::vector<std::string> codes;
  for (int m = 1; m <= 5; ++m) {
    for (int n = 1; n <= 5; ++n) codes.push_back("Brand#" + std::to_string(m) + std::to_string(n));
  }
  return codes;
}();
const std::vector<std::string> kTypeCodes = [] {  // index (size * 5 + finish) * 5 + material
  std::vector<std::string> codes;
  for (auto size : kTypeSize) {
    for (auto finish : kTypeFinish) {
      for (auto material : kTypeMaterial) {
        codes.push_back(std::string(size) + " " + std::string(finish) + " " +
                        std::string(material));
      }
    }
  }
  return codes;
}();
const std::vector<std::string> kContainerCodes = [] {  // index size * 8 + kind
  std::vector<std::string> codes;
  for (auto size : kContainerSize) {
    for (auto kind : kContainerKind) codes.push_back(std::string(size) + " " + std::string(kind));
  }
  return codes;
}();

}  // namespace

const std::vector<TpchColumn>& TpchSchema(TpchTable table) {
  using T = TpchType;
  static const std::vector<TpchColumn> kRegion = {
      {"r_regionkey", T::kInteger}, {"r_name", T::kVarchar}, {"r_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kNation = {{"n_nationkey", T::kInteger},
                                                  {"n_name", T::kVarchar},
                                                  {"n_regionkey", T::kInteger},
                                                  {"n_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kSupplier = {
      {"s_suppkey", T::kInteger}, {"s_name", T::kVarchar},  {"s_address", T::kVarchar},
      {"s_nationkey", T::kInteger}, {"s_phone", T::kVarchar}, {"s_acctbal", T::kDecimal},
      {"s_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kPart = {
      {"p_partkey", T::kInteger},
      {"p_name", T::kVarchar},
      {"p_mfgr", T::kVarchar, &kManufacturerCodes},
      {"p_brand", T::kVarchar, &kBrandCodes},
      {"p_type", T::kVarchar, &kTypeCodes},
      {"p_size", T::kInteger},
      {"p_container", T::kVarchar, &kContainerCodes},
      {"p_retailprice", T::kDecimal},
      {"p_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kPartsupp = {
      {"ps_partkey", T::kInteger}, {"ps_suppkey", T::kInteger}, {"ps_availqty", T::kInteger},
      {"ps_supplycost", T::kDecimal}, {"ps_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kCustomer = {
      {"c_custkey", T::kInteger},  {"c_name", T::kVarchar},   {"c_address", T::kVarchar},
      {"c_nationkey", T::kInteger}, {"c_phone", T::kVarchar},  {"c_acctbal", T::kDecimal},
      {"c_mktsegment", T::kVarchar, &kSegmentCodes}, {"c_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kOrders = {
      {"o_orderkey", T::kBigint},      {"o_custkey", T::kInteger},
      {"o_orderstatus", T::kVarchar, &kOrderStatusCodes},  {"o_totalprice", T::kDecimal},
      {"o_orderdate", T::kDate},       {"o_orderpriority", T::kVarchar, &kPriorityCodes},
      {"o_clerk", T::kVarchar},        {"o_shippriority", T::kInteger},
      {"o_comment", T::kVarchar}};
  static const std::vector<TpchColumn> kLineitem = {
      {"l_orderkey", T::kBigint},
      {"l_partkey", T::kInteger},
      {"l_suppkey", T::kInteger},
      {"l_linenumber", T::kInteger},
      {"l_quantity", T::kDecimal},
      {"l_extendedprice", T::kDecimal},
      {"l_discount", T::kDecimal},
      {"l_tax", T::kDecimal},
      {"l_returnflag", T::kVarchar, &kReturnFlagCodes},
      {"l_linestatus", T::kVarchar, &kLineStatusCodes},
      {"l_shipdate", T::kDate},
      {"l_commitdate", T::kDate},
      {"l_receiptdate", T::kDate},
      {"l_shipinstruct", T::kVarchar, &kInstructionCodes},
      {"l_shipmode", T::kVarchar, &kShipModeCodes},
      {"l_comment", T::kVarchar}};
  switch (table) {
    case TpchTable::kRegion: return kRegion;
    case TpchTable::kNation: return kNation;
    case TpchTable::kSupplier: return kSupplier;
    case TpchTable::kPart: return kPart;
    case TpchTable::kPartsupp: return kPartsupp;
    case TpchTable::kCustomer: return kCustomer;
    case TpchTable::kOrders: return kOrders;
    case TpchTable::kLineitem: return kLineitem;
  }
  return kRegion;
}

std::vector<engine::OutputColumn> TpchConversions(TpchTable table) {
  using engine::ColumnType;
  using engine::OutputColumn;
  std::vector<OutputColumn> columns;
  for (const TpchColumn& column : TpchSchema(table)) {
    std::string name(column.name);
    if (column.codes != nullptr) {
      OutputColumn text = OutputColumn::Of(name, name, ColumnType::Of(ColumnType::Id::kString),
                                           OutputColumn::Conversion::kCode);
      text.codes = *column.codes;
      columns.push_back(std::move(text));
      continue;
    }
    switch (column.type) {
      case TpchType::kDecimal:
        // Exact: the cents are scaled by the engine in decimal arithmetic, no floating point.
        columns.push_back(OutputColumn::Of(name, name, ColumnType::Decimal(15, 2),
                                           OutputColumn::Conversion::kUnscaledDecimal));
        break;
      case TpchType::kInteger:
        columns.push_back(OutputColumn::Of(name, name, ColumnType::Of(ColumnType::Id::kInt32)));
        break;
      case TpchType::kBigint:
        columns.push_back(OutputColumn::Of(name, name, ColumnType::Of(ColumnType::Id::kInt64)));
        break;
      case TpchType::kDate:
        columns.push_back(OutputColumn::Of(name, name, ColumnType::Of(ColumnType::Id::kDate)));
        break;
      case TpchType::kVarchar:
        columns.push_back(OutputColumn::Of(name, name, ColumnType::Of(ColumnType::Id::kString)));
        break;
    }
  }
  return columns;
}

int64_t DaysFromCivil(int year, int month, int day) {
  return neuralake::DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

std::string FormatDate(int64_t days) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t day_of_era = z - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t mp = (5 * day_of_year + 2) / 153;
  int64_t day = day_of_year - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02lld-%02lld", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day));
  return buffer;
}

}  // namespace neuralake::gen
