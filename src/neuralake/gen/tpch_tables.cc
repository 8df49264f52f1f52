// TPC-H rows (clause 4.2.3): TpchGenerator, every row a function of (seed, table, row index).
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "neuralake/gen/tpch.h"
#include "neuralake/gen/tpch_text.h"

namespace neuralake::gen {
namespace {

using engine::ColumnBatch;
using engine::ColumnData;
using engine::ColumnKind;
// The specification's word lists, streams and strings (tpch_text.h).
using tpch::BuildTextPool;
using tpch::SetNumbered;
using tpch::SetPhone;
using tpch::VString;
using tpch::kColors;
using tpch::kContainerKind;
using tpch::kContainerSize;
using tpch::kCustomerStream;
using tpch::kComplaintStream;
using tpch::kInstructions;
using tpch::kNationStream;
using tpch::kNations;
using tpch::kOrderStream;
using tpch::kPartStream;
using tpch::kPriorities;
using tpch::kRegionNames;
using tpch::kRegionStream;
using tpch::kSegments;
using tpch::kShipModes;
using tpch::kSupplierStream;
using tpch::kTypeFinish;
using tpch::kTypeMaterial;
using tpch::kTypeSize;

ColumnKind KindOf(const TpchColumn& column) {
  if (column.codes != nullptr) return ColumnKind::kInt32;
  switch (column.type) {
    case TpchType::kInteger: return ColumnKind::kInt32;
    case TpchType::kBigint: return ColumnKind::kInt64;
    case TpchType::kDecimal: return ColumnKind::kInt64;  // cents
    case TpchType::kDate: return ColumnKind::kDate;
    case TpchType::kVarchar: return ColumnKind::kString;
  }
  return ColumnKind::kString;
}

// Shapes `batch` as `rows` rows of `table`, keeping the memory of an earlier chunk of the same
// table (string capacity included): generating into a reused batch allocates almost nothing.
void PrepareBatch(TpchTable table, int64_t rows, ColumnBatch* batch) {
  const auto& schema = TpchSchema(table);
  bool same = batch->columns.size() == schema.size();
  for (size_t i = 0; same && i < schema.size(); ++i) {
    same = batch->columns[i].name == schema[i].name;
  }
  if (!same) {
    *batch = ColumnBatch();
    for (const TpchColumn& column : schema) {
      ColumnData data;
      data.name = std::string(column.name);
      data.kind = KindOf(column);
      batch->columns.push_back(std::move(data));
    }
  }
  for (ColumnData& column : batch->columns) {
    if (column.kind == ColumnKind::kString) {
      column.strings.resize(static_cast<size_t>(rows));
    } else {
      column.ints.resize(static_cast<size_t>(rows));
    }
  }
  batch->num_rows = rows;
}

// Dates of the specification (clause 4.2.2.12).
const int64_t kStartDate = DaysFromCivil(1992, 1, 1);
const int64_t kCurrentDate = DaysFromCivil(1995, 6, 17);
const int64_t kEndDate = DaysFromCivil(1998, 12, 31);

int64_t Scaled(double scale, int64_t base) {
  return std::max<int64_t>(1, std::llround(scale * static_cast<double>(base)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Rows.

TpchGenerator::TpchGenerator(double scale, uint64_t seed)
    : scale_(scale),
      seed_(seed),
      suppliers_(Scaled(scale, 10'000)),
      parts_(Scaled(scale, 200'000)),
      customers_(Scaled(scale, 150'000)),
      orders_(Scaled(scale, 1'500'000)),
      clerks_(Scaled(scale, 1'000)),
      text_pool_(BuildTextPool(seed)) {}

Result<TpchGenerator> TpchGenerator::Make(double scale, uint64_t seed) {
  if (!(scale > 0) || !std::isfinite(scale)) {
    return Status::Invalid("--scale must be a positive number");
  }
  if (scale * 1'500'000 * 4 > 9e18 || scale * 200'000 > 2'147'483'647.0) {
    return Status::Invalid("--scale is too large");
  }
  return TpchGenerator(scale, seed);
}

int64_t TpchGenerator::Rows(TpchTable table) const {
  switch (table) {
    case TpchTable::kRegion: return 5;
    case TpchTable::kNation: return 25;
    case TpchTable::kSupplier: return suppliers_;
    case TpchTable::kPart: return parts_;
    case TpchTable::kPartsupp: return parts_ * 4;
    case TpchTable::kCustomer: return customers_;
    case TpchTable::kOrders: return orders_;
    case TpchTable::kLineitem: return CountLineitems();
  }
  return 0;
}

int64_t TpchGenerator::CountLineitems(int64_t first_order, int64_t orders) const {
  int64_t lines = 0;
  for (int64_t order = first_order; order < first_order + orders; ++order) {
    RowRandom random(seed_, kOrderStream, static_cast<uint64_t>(order));
    lines += 1 + static_cast<int64_t>(random.Below(7));  // the first draw of every order
  }
  return lines;
}

int64_t TpchGenerator::PartSupplier(int64_t partkey, int i) const {
  int64_t s = suppliers_;
  return (partkey + i * (s / 4 + (partkey - 1) / s)) % s + 1;
}

void TpchGenerator::Text(RowRandom& random, int min_length, int max_length,
                         std::string* out) const {
  size_t length = static_cast<size_t>(min_length) + random.Below(max_length - min_length + 1);
  size_t offset = random.Below(text_pool_->size() - length);
  out->assign(text_pool_->data() + offset, length);
}

ColumnBatch TpchGenerator::Region() const {
  ColumnBatch batch;
  PrepareBatch(TpchTable::kRegion, 5, &batch);
  for (int key = 0; key < 5; ++key) {
    RowRandom random(seed_, kRegionStream, static_cast<uint64_t>(key));
    batch.columns[0].ints[key] = key;
    batch.columns[1].strings[key] = kRegionNames[key];
    Text(random, 31, 115, &batch.columns[2].strings[key]);
  }
  return batch;
}

ColumnBatch TpchGenerator::Nation() const {
  ColumnBatch batch;
  PrepareBatch(TpchTable::kNation, 25, &batch);
  for (int key = 0; key < 25; ++key) {
    RowRandom random(seed_, kNationStream, static_cast<uint64_t>(key));
    batch.columns[0].ints[key] = key;
    batch.columns[1].strings[key] = kNations[key].name;
    batch.columns[2].ints[key] = kNations[key].region;
    Text(random, 31, 114, &batch.columns[3].strings[key]);
  }
  return batch;
}

void TpchGenerator::Supplier(int64_t first, int64_t count, ColumnBatch* out) const {
  PrepareBatch(TpchTable::kSupplier, count, out);
  auto& c = out->columns;
  // SF * 5 suppliers complain and SF * 5 recommend (clause 4.2.3): one of each in every block of
  // 2,000 suppliers, at positions drawn per block.
  constexpr int64_t kBlock = 2000;
  int64_t block = -1;
  int64_t complains = -1, recommends = -1;
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = first + i;
    RowRandom random(seed_, kSupplierStream, static_cast<uint64_t>(row));
    int64_t key = row + 1;
    int64_t nation = static_cast<int64_t>(random.Below(25));
    c[0].ints[i] = key;
    SetNumbered("Supplier#", key, &c[1].strings[i]);
    VString(random, 10, 40, &c[2].strings[i]);
    c[3].ints[i] = nation;
    SetPhone(random, nation, &c[4].strings[i]);
    c[5].ints[i] = -99'999 + static_cast<int64_t>(random.Below(1'099'999));
    std::string& comment = c[6].strings[i];
    Text(random, 25, 100, &comment);
    if (row / kBlock != block) {
      block = row / kBlock;
      RowRandom block_random(seed_, kComplaintStream, static_cast<uint64_t>(block));
      complains = static_cast<int64_t>(block_random.Below(kBlock));
      recommends = (complains + 1 + static_cast<int64_t>(block_random.Below(kBlock - 1))) % kBlock;
    }
    int64_t offset = row % kBlock;
    if (offset == complains || offset == recommends) {
      std::string_view tail = offset == complains ? "Complaints" : "Recommends";
      // "Customer", some of the comment's own characters, then the tail, overwriting the comment
      // at a random position (its length is unchanged).
      size_t length = comment.size();
      size_t fixed = 8 + tail.size();
      size_t gap = random.Below(length - fixed + 1);
      size_t position = random.Below(length - fixed - gap + 1);
      comment.replace(position, 8, "Customer");
      comment.replace(position + 8 + gap, tail.size(), tail);
    }
  }
}

void TpchGenerator::Customer(int64_t first, int64_t count, ColumnBatch* out) const {
  PrepareBatch(TpchTable::kCustomer, count, out);
  auto& c = out->columns;
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = first + i;
    RowRandom random(seed_, kCustomerStream, static_cast<uint64_t>(row));
    int64_t key = row + 1;
    int64_t nation = static_cast<int64_t>(random.Below(25));
    c[0].ints[i] = key;
    SetNumbered("Customer#", key, &c[1].strings[i]);
    VString(random, 10, 40, &c[2].strings[i]);
    c[3].ints[i] = nation;
    SetPhone(random, nation, &c[4].strings[i]);
    c[5].ints[i] = -99'999 + static_cast<int64_t>(random.Below(1'099'999));
    c[6].ints[i] = static_cast<int64_t>(random.Below(kSegments.size()));
    Text(random, 29, 116, &c[7].strings[i]);
  }
}

void TpchGenerator::Parts(int64_t first, int64_t count, ColumnBatch* part,
                          ColumnBatch* partsupp) const {
  if (part != nullptr) PrepareBatch(TpchTable::kPart, count, part);
  if (partsupp != nullptr) PrepareBatch(TpchTable::kPartsupp, count * 4, partsupp);
  std::string comment;
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = first + i;
    RowRandom random(seed_, kPartStream, static_cast<uint64_t>(row));
    int64_t key = row + 1;
    // Part values first, partsupp after: a part is the same whether or not partsupp is wanted.
    std::array<size_t, 5> words{};
    for (int w = 0; w < 5; ++w) {
      size_t word;
      do {
        word = random.Below(kColors.size());
      } while (std::find(words.begin(), words.begin() + w, word) != words.begin() + w);
      words[w] = word;
    }
    int64_t manufacturer = static_cast<int64_t>(random.Below(5));  // M - 1
    int64_t brand = static_cast<int64_t>(random.Below(5));         // N - 1
    int64_t type_size = static_cast<int64_t>(random.Below(kTypeSize.size()));
    int64_t type_finish = static_cast<int64_t>(random.Below(kTypeFinish.size()));
    int64_t type_material = static_cast<int64_t>(random.Below(kTypeMaterial.size()));
    int64_t size = 1 + static_cast<int64_t>(random.Below(50));
    int64_t container_size = static_cast<int64_t>(random.Below(kContainerSize.size()));
    int64_t container_kind = static_cast<int64_t>(random.Below(kContainerKind.size()));
    Text(random, 5, 22, &comment);
    if (part != nullptr) {
      auto& c = part->columns;
      c[0].ints[i] = key;
      std::string& name = c[1].strings[i];
      name.clear();
      for (int w = 0; w < 5; ++w) {
        if (w > 0) name.push_back(' ');
        name.append(kColors[words[w]]);
      }
      c[2].ints[i] = manufacturer;                         // kManufacturerCodes
      c[3].ints[i] = manufacturer * 5 + brand;             // kBrandCodes
      c[4].ints[i] = (type_size * 5 + type_finish) * 5 + type_material;  // kTypeCodes
      c[5].ints[i] = size;
      c[6].ints[i] = container_size * 8 + container_kind;  // kContainerCodes
      c[7].ints[i] = RetailPriceCents(key);
      c[8].strings[i].swap(comment);
    }
    if (partsupp != nullptr) {
      auto& c = partsupp->columns;
      for (int s = 0; s < 4; ++s) {
        size_t r = static_cast<size_t>(i * 4 + s);
        c[0].ints[r] = key;
        c[1].ints[r] = PartSupplier(key, s);
        c[2].ints[r] = 1 + static_cast<int64_t>(random.Below(9999));
        c[3].ints[r] = 100 + static_cast<int64_t>(random.Below(99'901));
        Text(random, 49, 198, &c[4].strings[r]);
      }
    }
  }
}

void TpchGenerator::Orders(int64_t first, int64_t count, ColumnBatch* orders,
                           ColumnBatch* lineitem) const {
  if (orders != nullptr) PrepareBatch(TpchTable::kOrders, count, orders);
  if (lineitem != nullptr) {
    PrepareBatch(TpchTable::kLineitem, CountLineitems(first, count), lineitem);
  }
  // Customers whose key is a multiple of 3 place no orders: draw among the others.
  int64_t ordering_customers = customers_ - customers_ / 3;
  int64_t last_order_date = kEndDate - 151;
  size_t r = 0;  // lineitem row
  std::string comment;
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = first + i;
    RowRandom random(seed_, kOrderStream, static_cast<uint64_t>(row));
    int lines = 1 + static_cast<int>(random.Below(7));  // first draw: see CountLineitems
    int64_t orderkey = OrderKey(row);
    int64_t k = static_cast<int64_t>(random.Below(static_cast<uint64_t>(ordering_customers)));
    int64_t custkey = (k / 2) * 3 + k % 2 + 1;
    int64_t orderdate =
        kStartDate + static_cast<int64_t>(random.Below(last_order_date - kStartDate + 1));
    int64_t priority = static_cast<int64_t>(random.Below(kPriorities.size()));
    int64_t clerk = 1 + static_cast<int64_t>(random.Below(static_cast<uint64_t>(clerks_)));
    Text(random, 19, 78, &comment);
    int shipped = 0;  // lines with status F
    int64_t total_cents = 0;
    for (int line = 1; line <= lines; ++line) {
      int64_t partkey = 1 + static_cast<int64_t>(random.Below(static_cast<uint64_t>(parts_)));
      int64_t suppkey = PartSupplier(partkey, static_cast<int>(random.Below(4)));
      int64_t quantity = 1 + static_cast<int64_t>(random.Below(50));
      int64_t extended = quantity * RetailPriceCents(partkey);
      int64_t discount = static_cast<int64_t>(random.Below(11));  // hundredths
      int64_t tax = static_cast<int64_t>(random.Below(9));        // hundredths
      int64_t shipdate = orderdate + 1 + static_cast<int64_t>(random.Below(121));
      int64_t commitdate = orderdate + 30 + static_cast<int64_t>(random.Below(61));
      int64_t receiptdate = shipdate + 1 + static_cast<int64_t>(random.Below(30));
      bool returned = random.Below(2) == 0;
      int64_t instruction = static_cast<int64_t>(random.Below(kInstructions.size()));
      int64_t mode = static_cast<int64_t>(random.Below(kShipModes.size()));
      // Line total in cents: extended * (1 - discount) * (1 + tax), rounded half up.
      total_cents += (extended * (100 - discount) * (100 + tax) + 5000) / 10000;
      bool open = shipdate > kCurrentDate;
      if (!open) ++shipped;
      if (lineitem != nullptr) {
        auto& c = lineitem->columns;
        c[0].ints[r] = orderkey;
        c[1].ints[r] = partkey;
        c[2].ints[r] = suppkey;
        c[3].ints[r] = line;
        c[4].ints[r] = quantity * 100;
        c[5].ints[r] = extended;
        c[6].ints[r] = discount;
        c[7].ints[r] = tax;
        c[8].ints[r] = receiptdate <= kCurrentDate ? (returned ? 0 : 1) : 2;  // R, A, N
        c[9].ints[r] = open ? 0 : 1;                                           // O, F
        c[10].ints[r] = shipdate;
        c[11].ints[r] = commitdate;
        c[12].ints[r] = receiptdate;
        c[13].ints[r] = instruction;
        c[14].ints[r] = mode;
        Text(random, 10, 43, &c[15].strings[r]);
        ++r;
      } else {
        random.Next();  // the comment's two draws, so later lines do not depend on the output
        random.Next();
      }
    }
    if (orders != nullptr) {
      auto& c = orders->columns;
      c[0].ints[i] = orderkey;
      c[1].ints[i] = custkey;
      c[2].ints[i] = shipped == lines ? 0 : shipped == 0 ? 1 : 2;  // F, O, P
      c[3].ints[i] = total_cents;
      c[4].ints[i] = orderdate;
      c[5].ints[i] = priority;
      SetNumbered("Clerk#", clerk, &c[6].strings[i]);
      c[7].ints[i] = 0;
      c[8].strings[i].swap(comment);
    }
  }
}

}  // namespace neuralake::gen
