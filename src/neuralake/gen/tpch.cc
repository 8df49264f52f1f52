#include "neuralake/gen/tpch.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "neuralake/common/progress.h"
#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/engine.h"
#include "neuralake/storage/location.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::gen {
namespace {

using engine::ColumnBatch;
using engine::ColumnData;
using engine::ColumnKind;

// ---------------------------------------------------------------------------------------------
// Word lists of the specification (clause 4.2.2.13 and 4.2.3).

constexpr std::array<std::string_view, 5> kRegionNames = {"AFRICA", "AMERICA", "ASIA", "EUROPE",
                                                           "MIDDLE EAST"};

struct NationRow {
  std::string_view name;
  int region;
};
constexpr std::array<NationRow, 25> kNations = {{
    {"ALGERIA", 0},      {"ARGENTINA", 1}, {"BRAZIL", 1},         {"CANADA", 1},
    {"EGYPT", 4},        {"ETHIOPIA", 0},  {"FRANCE", 3},         {"GERMANY", 3},
    {"INDIA", 2},        {"INDONESIA", 2}, {"IRAN", 4},           {"IRAQ", 4},
    {"JAPAN", 2},        {"JORDAN", 4},    {"KENYA", 0},          {"MOROCCO", 0},
    {"MOZAMBIQUE", 0},   {"PERU", 1},      {"CHINA", 2},          {"ROMANIA", 3},
    {"SAUDI ARABIA", 4}, {"VIETNAM", 2},   {"RUSSIA", 3},         {"UNITED KINGDOM", 3},
    {"UNITED STATES", 1},
}};

constexpr std::array<std::string_view, 92> kColors = {
    "almond",    "antique",   "aquamarine", "azure",     "beige",     "bisque",    "black",
    "blanched",  "blue",      "blush",      "brown",     "burlywood", "burnished", "chartreuse",
    "chiffon",   "chocolate", "coral",      "cornflower", "cornsilk", "cream",     "cyan",
    "dark",      "deep",      "dim",        "dodger",    "drab",      "firebrick", "floral",
    "forest",    "frosted",   "gainsboro",  "ghost",     "goldenrod", "green",     "grey",
    "honeydew",  "hot",       "indian",     "ivory",     "khaki",     "lace",      "lavender",
    "lawn",      "lemon",     "light",      "lime",      "linen",     "magenta",   "maroon",
    "medium",    "metallic",  "midnight",   "mint",      "misty",     "moccasin",  "navajo",
    "navy",      "olive",     "orange",     "orchid",    "pale",      "papaya",    "peach",
    "peru",      "pink",      "plum",       "powder",    "puff",      "purple",    "red",
    "rose",      "rosy",      "royal",      "saddle",    "salmon",    "sandy",     "seashell",
    "sienna",    "sky",       "slate",      "smoke",     "snow",      "spring",    "steel",
    "tan",       "thistle",   "tomato",     "turquoise", "violet",    "wheat",     "white",
    "yellow"};

constexpr std::array<std::string_view, 6> kTypeSize = {"STANDARD", "SMALL",   "MEDIUM",
                                                       "LARGE",    "ECONOMY", "PROMO"};
constexpr std::array<std::string_view, 5> kTypeFinish = {"ANODIZED", "BURNISHED", "PLATED",
                                                         "POLISHED", "BRUSHED"};
constexpr std::array<std::string_view, 5> kTypeMaterial = {"TIN", "NICKEL", "BRASS", "STEEL",
                                                           "COPPER"};
constexpr std::array<std::string_view, 5> kContainerSize = {"SM", "LG", "MED", "JUMBO", "WRAP"};
constexpr std::array<std::string_view, 8> kContainerKind = {"CASE", "BOX", "BAG",  "JAR",
                                                            "PKG",  "PACK", "CAN", "DRUM"};
constexpr std::array<std::string_view, 5> kSegments = {"AUTOMOBILE", "BUILDING", "FURNITURE",
                                                       "MACHINERY", "HOUSEHOLD"};
constexpr std::array<std::string_view, 5> kPriorities = {"1-URGENT", "2-HIGH", "3-MEDIUM",
                                                         "4-NOT SPECIFIED", "5-LOW"};
constexpr std::array<std::string_view, 4> kInstructions = {"DELIVER IN PERSON", "COLLECT COD",
                                                           "NONE", "TAKE BACK RETURN"};
constexpr std::array<std::string_view, 7> kShipModes = {"REG AIR", "AIR",  "RAIL", "SHIP",
                                                        "TRUCK",   "MAIL", "FOB"};

// A word list with integer weights: Pick draws one word with probability weight / total.
class WeightedWords {
 public:
  WeightedWords(std::initializer_list<std::pair<std::string_view, int>> entries) {
    for (const auto& [word, weight] : entries) {
      total_ += weight;
      words_.push_back(word);
      cumulative_.push_back(total_);
    }
  }
  std::string_view Pick(RowRandom& random) const {
    int64_t draw = static_cast<int64_t>(random.Below(static_cast<uint64_t>(total_)));
    size_t index = std::upper_bound(cumulative_.begin(), cumulative_.end(), draw) -
                   cumulative_.begin();
    return words_[index];
  }

 private:
  std::vector<std::string_view> words_;
  std::vector<int64_t> cumulative_;
  int64_t total_ = 0;
};

// The text grammar of clause 4.2.2.10. The word lists are the specification's; the weights are
// our own approximation (the common words of generated comments dominate, as in the reference
// generator, so that LIKE '%special%requests%' and similar predicates select a few percent).
const WeightedWords& Nouns() {
  static const WeightedWords kWords = {
      {"packages", 40},    {"requests", 40},     {"accounts", 40},   {"deposits", 40},
      {"foxes", 20},       {"ideas", 20},        {"theodolites", 20}, {"pinto beans", 20},
      {"instructions", 20}, {"dependencies", 10}, {"excuses", 10},    {"platelets", 10},
      {"asymptotes", 10},  {"courts", 5},        {"dolphins", 5},    {"multipliers", 1},
      {"sauternes", 1},    {"warthogs", 1},      {"frets", 1},       {"dinos", 1},
      {"attainments", 1},  {"somas", 1},         {"Tiresias", 1},    {"patterns", 1},
      {"forges", 1},       {"braids", 1},        {"hockey players", 1}, {"frays", 1},
      {"warhorses", 1},    {"dugouts", 1},       {"notornis", 1},    {"epitaphs", 1},
      {"pearls", 1},       {"tithes", 1},        {"waters", 1},      {"orbits", 1},
      {"gifts", 1},        {"sheaves", 1},       {"depths", 1},      {"sentiments", 1},
      {"decoys", 1},       {"realms", 1},        {"pains", 1},       {"grouches", 1},
      {"escapades", 1}};
  return kWords;
}
const WeightedWords& Verbs() {
  static const WeightedWords kWords = {
      {"sleep", 20},    {"wake", 20},   {"are", 20},     {"cajole", 20},   {"haggle", 20},
      {"nag", 10},      {"use", 10},    {"boost", 10},   {"affix", 5},     {"detect", 5},
      {"integrate", 5}, {"maintain", 1}, {"nod", 1},     {"was", 1},       {"lose", 1},
      {"sublate", 1},   {"solve", 1},   {"thrash", 1},   {"promise", 1},   {"engage", 1},
      {"hinder", 1},    {"print", 1},   {"x-ray", 1},    {"breach", 1},    {"eat", 1},
      {"grow", 1},      {"impress", 1}, {"mold", 1},     {"poach", 1},     {"serve", 1},
      {"run", 1},       {"dazzle", 1},  {"snooze", 1},   {"doze", 1},      {"unwind", 1},
      {"kindle", 1},    {"play", 1},    {"hang", 1},     {"believe", 1},   {"doubt", 1}};
  return kWords;
}
const WeightedWords& Adjectives() {
  static const WeightedWords kWords = {
      {"special", 20},  {"pending", 20},  {"unusual", 20}, {"express", 20}, {"furious", 1},
      {"sly", 1},       {"careful", 1},   {"blithe", 1},   {"quick", 1},    {"fluffy", 1},
      {"slow", 1},      {"quiet", 1},     {"ruthless", 1}, {"thin", 1},     {"close", 1},
      {"dogged", 1},    {"daring", 1},    {"brave", 1},    {"stealthy", 1}, {"permanent", 1},
      {"enticing", 1},  {"idle", 1},      {"busy", 1},     {"regular", 50}, {"final", 40},
      {"ironic", 40},   {"even", 30},     {"bold", 20},    {"silent", 10}};
  return kWords;
}
const WeightedWords& Adverbs() {
  static const WeightedWords kWords = {
      {"sometimes", 1},  {"always", 1},     {"never", 1},      {"furiously", 50},
      {"slyly", 50},     {"carefully", 50}, {"blithely", 40},  {"quickly", 30},
      {"fluffily", 20},  {"slowly", 1},     {"quietly", 1},    {"ruthlessly", 1},
      {"thinly", 1},     {"closely", 1},    {"doggedly", 1},   {"daringly", 1},
      {"bravely", 1},    {"stealthily", 1}, {"permanently", 1}, {"enticingly", 1},
      {"idly", 1},       {"busily", 1},     {"regularly", 1},  {"finally", 1},
      {"ironically", 1}, {"evenly", 1},     {"boldly", 1},     {"silently", 1}};
  return kWords;
}
const WeightedWords& Prepositions() {
  static const WeightedWords kWords = {
      {"about", 50},      {"above", 50},   {"according to", 50}, {"across", 50},
      {"after", 50},      {"against", 40}, {"along", 40},        {"alongside of", 30},
      {"among", 30},      {"around", 20},  {"at", 10},           {"atop", 1},
      {"before", 1},      {"behind", 1},   {"beneath", 1},       {"beside", 1},
      {"besides", 1},     {"between", 1},  {"beyond", 1},        {"by", 1},
      {"despite", 1},     {"during", 1},   {"except", 1},        {"for", 1},
      {"from", 1},        {"in place of", 1}, {"inside", 1},     {"instead of", 1},
      {"into", 1},        {"near", 1},     {"of", 1},            {"on", 1},
      {"outside", 1},     {"over", 1},     {"past", 1},          {"since", 1},
      {"through", 1},     {"throughout", 1}, {"to", 1},          {"toward", 1},
      {"under", 1},       {"until", 1},    {"up", 1},            {"upon", 1},
      {"without", 1},     {"with", 1},     {"within", 1}};
  return kWords;
}
const WeightedWords& Auxiliaries() {
  static const WeightedWords kWords = {
      {"do", 1},           {"may", 1},           {"might", 1},         {"shall", 1},
      {"will", 1},         {"would", 1},         {"can", 1},           {"could", 1},
      {"should", 1},       {"ought to", 1},      {"must", 1},          {"will have to", 1},
      {"shall have to", 1}, {"could have to", 1}, {"should have to", 1}, {"must have to", 1},
      {"need to", 1},      {"try to", 1}};
  return kWords;
}
const WeightedWords& Terminators() {
  static const WeightedWords kWords = {{".", 50}, {";", 1}, {":", 1}, {"?", 1}, {"!", 1},
                                       {"--", 1}};
  return kWords;
}

void AppendWord(std::string_view word, std::string* out) {
  if (!out->empty() && out->back() != ' ') out->push_back(' ');
  out->append(word);
}

void NounPhrase(RowRandom& random, std::string* out) {
  uint64_t form = random.Below(90);
  if (form < 10) {                       // noun
  } else if (form < 30) {                // adjective noun
    AppendWord(Adjectives().Pick(random), out);
  } else if (form < 40) {                // adjective, adjective noun
    AppendWord(Adjectives().Pick(random), out);
    out->push_back(',');
    AppendWord(Adjectives().Pick(random), out);
  } else {                               // adverb adjective noun
    AppendWord(Adverbs().Pick(random), out);
    AppendWord(Adjectives().Pick(random), out);
  }
  AppendWord(Nouns().Pick(random), out);
}

void VerbPhrase(RowRandom& random, std::string* out) {
  // verb (30), auxiliary verb (1), verb adverb (40), auxiliary verb adverb (1)
  uint64_t form = random.Below(72);
  if (form == 30 || form == 71) AppendWord(Auxiliaries().Pick(random), out);
  AppendWord(Verbs().Pick(random), out);
  if (form > 30) AppendWord(Adverbs().Pick(random), out);
}

void PrepositionalPhrase(RowRandom& random, std::string* out) {
  AppendWord(Prepositions().Pick(random), out);
  AppendWord("the", out);
  AppendWord(Nouns().Pick(random), out);
}

void Sentence(RowRandom& random, std::string* out) {
  uint64_t form = random.Below(11);
  NounPhrase(random, out);
  if (form < 3) {
    VerbPhrase(random, out);
  } else if (form < 6) {
    VerbPhrase(random, out);
    PrepositionalPhrase(random, out);
  } else if (form < 9) {
    VerbPhrase(random, out);
    NounPhrase(random, out);
  } else if (form < 10) {
    PrepositionalPhrase(random, out);
    VerbPhrase(random, out);
    NounPhrase(random, out);
  } else {
    PrepositionalPhrase(random, out);
    VerbPhrase(random, out);
    PrepositionalPhrase(random, out);
  }
  out->append(Terminators().Pick(random));
  out->push_back(' ');
}

// The pool comments are cut from: sentences of the grammar, 1 MiB of them. The reference
// generator uses 300 MB; a pool that stays in the CPU caches makes comments several times cheaper
// (random offsets into 8 MiB cost a cache miss each) and only repeats substrings sooner.
constexpr size_t kTextPoolBytes = 1 << 20;

// Streams of RowRandom: one per kind of row, so that no two tables share random numbers.
enum Stream : uint64_t {
  kTextPoolStream = 0x7470636800,
  kRegionStream,
  kNationStream,
  kSupplierStream,
  kComplaintStream,
  kPartStream,
  kCustomerStream,
  kOrderStream,
};

std::shared_ptr<const std::string> BuildTextPool(uint64_t seed) {
  auto pool = std::make_shared<std::string>();
  pool->reserve(kTextPoolBytes + 256);
  RowRandom random(seed, kTextPoolStream, 0);
  while (pool->size() < kTextPoolBytes) Sentence(random, pool.get());
  pool->resize(kTextPoolBytes);
  return pool;
}

// Random alphanumeric strings (clause 4.2.2.7): 64 characters.
constexpr std::string_view kVStringAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,";
static_assert(kVStringAlphabet.size() == 64);

void VString(RowRandom& random, int min_length, int max_length, std::string* out) {
  int length = min_length + static_cast<int>(random.Below(max_length - min_length + 1));
  out->resize(static_cast<size_t>(length));
  uint64_t bits = 0;
  int available = 0;
  for (char& c : *out) {
    if (available < 6) {
      bits = random.Next();
      available = 64;
    }
    c = kVStringAlphabet[bits & 63];
    bits >>= 6;
    available -= 6;
  }
}

// Writes `value` as exactly `digits` decimal digits (zero-padded) at `out`.
void PutDigits(int64_t value, int digits, char* out) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Phone numbers (clause 4.2.2.9): country code nationkey + 10, then 3-3-4 random digits.
void SetPhone(RowRandom& random, int64_t nationkey, std::string* out) {
  char phone[15] = {'0', '0', '-', '0', '0', '0', '-', '0', '0', '0', '-', '0', '0', '0', '0'};
  PutDigits(nationkey + 10, 2, phone);
  PutDigits(100 + static_cast<int64_t>(random.Below(900)), 3, phone + 3);
  PutDigits(100 + static_cast<int64_t>(random.Below(900)), 3, phone + 7);
  PutDigits(1000 + static_cast<int64_t>(random.Below(9000)), 4, phone + 11);
  out->assign(phone, sizeof(phone));
}

// "Supplier#000000042": the prefix and the number in (at least) 9 digits.
void SetNumbered(std::string_view prefix, int64_t number, std::string* out) {
  int digits = 9;
  for (int64_t limit = 1'000'000'000; number >= limit && digits < 19; limit *= 10) ++digits;
  out->assign(prefix);
  out->resize(prefix.size() + static_cast<size_t>(digits));
  PutDigits(number, digits, out->data() + prefix.size());
}


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
  for (size_t i = 0; same && i < schema.size(); ++i) same = batch->columns[i].name == schema[i].name;
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
      {"p_partkey", T::kInteger}, {"p_name", T::kVarchar},      {"p_mfgr", T::kVarchar, &kManufacturerCodes},
      {"p_brand", T::kVarchar, &kBrandCodes},   {"p_type", T::kVarchar, &kTypeCodes},      {"p_size", T::kInteger},
      {"p_container", T::kVarchar, &kContainerCodes}, {"p_retailprice", T::kDecimal}, {"p_comment", T::kVarchar}};
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
      {"l_orderkey", T::kBigint},     {"l_partkey", T::kInteger},    {"l_suppkey", T::kInteger},
      {"l_linenumber", T::kInteger},  {"l_quantity", T::kDecimal},   {"l_extendedprice", T::kDecimal},
      {"l_discount", T::kDecimal},    {"l_tax", T::kDecimal},        {"l_returnflag", T::kVarchar, &kReturnFlagCodes},
      {"l_linestatus", T::kVarchar, &kLineStatusCodes},  {"l_shipdate", T::kDate},      {"l_commitdate", T::kDate},
      {"l_receiptdate", T::kDate},    {"l_shipinstruct", T::kVarchar, &kInstructionCodes}, {"l_shipmode", T::kVarchar, &kShipModeCodes},
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

std::string TpchSelectSql(TpchTable table, std::string_view relation) {
  std::string sql = "SELECT ";
  bool first = true;
  for (const TpchColumn& column : TpchSchema(table)) {
    if (!first) sql += ", ";
    first = false;
    std::string name(column.name);
    if (column.codes != nullptr) {
      // A constant list indexed by the code (DuckDB lists are 1-based).
      sql += "[";
      for (size_t i = 0; i < column.codes->size(); ++i) {
        if (i > 0) sql += ", ";
        sql += "'" + (*column.codes)[i] + "'";  // no quotes in any code
      }
      sql += "][" + name + " + 1] AS " + name;
      continue;
    }
    switch (column.type) {
      case TpchType::kDecimal:
        // Exact: DECIMAL(18,0) * 0.01 is DECIMAL(18,2) arithmetic, no floating point.
        sql += "CAST(CAST(" + name + " AS DECIMAL(18,0)) * 0.01 AS DECIMAL(15,2)) AS " + name;
        break;
      default: sql += name; break;
    }
  }
  sql += " FROM ";
  sql += relation;
  return sql;
}

int64_t DaysFromCivil(int year, int month, int day) {
  // Howard Hinnant's days_from_civil algorithm, written out.
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t year_of_era = y - era * 400;
  int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
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

// ---------------------------------------------------------------------------------------------
// Writing.

namespace {

// A group of tables generated together from one driving table.
enum class Group { kRegion, kNation, kSupplier, kPart, kCustomer, kOrders };

std::vector<TpchTable> TablesOf(Group group) {
  switch (group) {
    case Group::kRegion: return {TpchTable::kRegion};
    case Group::kNation: return {TpchTable::kNation};
    case Group::kSupplier: return {TpchTable::kSupplier};
    case Group::kPart: return {TpchTable::kPart, TpchTable::kPartsupp};
    case Group::kCustomer: return {TpchTable::kCustomer};
    case Group::kOrders: return {TpchTable::kOrders, TpchTable::kLineitem};
  }
  return {};
}

struct Task {
  Group group;
  int64_t chunk;  // index within the group: names the files
  int64_t first;
  int64_t count;
};

// Driving rows per chunk (and so per file): files of 100,000-200,000 rows, about 5-10 MB of
// Parquet, and a few hundred MB of memory for two workers.
int64_t DefaultChunkRows(Group group) {
  switch (group) {
    case Group::kOrders: return 50'000;   // + ~200,000 lineitems
    case Group::kPart: return 50'000;     // + 200,000 partsupp
    default: return 100'000;
  }
}

const char* Extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::kCsv: return "csv";
    case OutputFormat::kJson: return "json";
    default: return "parquet";
  }
}

std::string CopyOptions(OutputFormat format) {
  switch (format) {
    case OutputFormat::kCsv: return "(FORMAT csv, HEADER true)";
    case OutputFormat::kJson: return "(FORMAT json)";
    // zstd level 1: 5% faster than the default level 3 for 3% more bytes.
    default: return "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)";
  }
}

delta::Schema DeltaSchemaOf(TpchTable table) {
  delta::Schema schema;
  for (const TpchColumn& column : TpchSchema(table)) {
    delta::StructField field;
    field.name = std::string(column.name);
    switch (column.type) {
      case TpchType::kInteger: field.type = delta::DataType::Primitive("integer"); break;
      case TpchType::kBigint: field.type = delta::DataType::Primitive("long"); break;
      case TpchType::kDecimal: field.type = delta::DataType::Decimal(15, 2); break;
      case TpchType::kDate: field.type = delta::DataType::Primitive("date"); break;
      case TpchType::kVarchar: field.type = delta::DataType::Primitive("string"); break;
    }
    schema.fields.push_back(std::move(field));
  }
  return schema;
}

// Per-table Delta state: chunks' files are committed in chunk order, `per_commit` at a time.
struct DeltaTarget {
  std::unique_ptr<delta::DeltaTable> table;
  std::shared_ptr<const delta::Snapshot> snapshot;  // latest committed
  int64_t chunks = 0;                                // chunks the table will receive
  int64_t next_chunk = 0;                            // first chunk not committed yet
  std::map<int64_t, std::pair<std::vector<delta::AddFile>, int64_t>> ready;  // files, rows
};

// Everything the workers share.
struct Run {
  const TpchGenerator* generator = nullptr;
  const TpchOptions* options = nullptr;
  engine::Engine* engine = nullptr;
  storage::ObjectStore* store = nullptr;  // rooted at the output prefix
  std::string root;                       // how COPY names the output prefix
  std::set<TpchTable> wanted;
  std::vector<Task> tasks;
  std::atomic<int64_t> next_task{0};

  std::mutex mutex;
  std::condition_variable changed;
  Status status;                                     // first failure
  std::map<TpchTable, TpchTableSummary> summaries;
  std::map<TpchTable, DeltaTarget> delta;
  int64_t rows_done = 0;
  int64_t workers_running = 0;

  bool Failed() {
    std::lock_guard lock(mutex);
    return !status.ok();
  }
  void Fail(Status failure) {
    std::lock_guard lock(mutex);
    if (status.ok()) status = std::move(failure);
    changed.notify_all();
  }
};

Status WriteChunk(Run& run, int worker, TpchTable table, int64_t chunk, const ColumnBatch& batch) {
  const TpchOptions& options = *run.options;
  int64_t rows = batch.num_rows;
  std::string scratch = "tpch_w" + std::to_string(worker) + "_" + std::string(TpchTableName(table));
  NL_RETURN_NOT_OK(run.engine->LoadBatches(scratch, {&batch}));
  std::string select = TpchSelectSql(table, engine::Engine::QuoteIdentifier(scratch));
  Status status;
  if (options.format == OutputFormat::kDelta) {
    std::shared_ptr<const delta::Snapshot> snapshot;
    delta::DeltaTable* target = nullptr;
    {
      std::lock_guard lock(run.mutex);
      snapshot = run.delta[table].snapshot;
      target = run.delta[table].table.get();
    }
    delta::DataSource source = delta::DataSource::FromQuery(select);
    // One file per chunk: the chunk size is the file size knob.
    auto adds = delta::WriteFiles(*target, *snapshot, source, int64_t{1} << 40);
    if (adds.ok()) {
      std::lock_guard lock(run.mutex);
      run.delta[table].ready[chunk] = {std::move(*adds), rows};
      run.rows_done += rows;
      run.changed.notify_all();
    } else {
      status = adds.status();
    }
  } else {
    char name[64];
    std::snprintf(name, sizeof(name), "%s/part-%06lld.%s", std::string(TpchTableName(table)).c_str(),
                  static_cast<long long>(chunk), Extension(options.format));
    status = run.engine->Execute("COPY (" + select + ") TO " +
                                 engine::Engine::QuoteLiteral(run.root + "/" + name) + " " +
                                 CopyOptions(options.format));
    if (status.ok()) {
      auto info = run.store->Head(name);
      if (!info.ok()) {
        status = info.status();
      } else {
        std::lock_guard lock(run.mutex);
        TpchTableSummary& summary = run.summaries[table];
        summary.rows += rows;
        summary.files += 1;
        summary.bytes += info->size;
        run.rows_done += rows;
        run.changed.notify_all();
      }
    }
  }
  Status dropped = run.engine->DropTable(scratch);
  return status.ok() ? dropped : status;
}

void Worker(Run& run, int worker) {
  const TpchGenerator& generator = *run.generator;
  auto want = [&](TpchTable table) { return run.wanted.count(table) > 0; };
  // This worker's batches, reused chunk after chunk (see PrepareBatch).
  std::map<TpchTable, ColumnBatch> batches;
  auto batch_for = [&](TpchTable table) { return want(table) ? &batches[table] : nullptr; };
  while (!run.Failed()) {
    int64_t index = run.next_task.fetch_add(1);
    if (index >= static_cast<int64_t>(run.tasks.size())) break;
    const Task& task = run.tasks[static_cast<size_t>(index)];
    // Tasks come group by group: the batches of a finished group are not needed again.
    if (index > 0 && run.tasks[static_cast<size_t>(index - 1)].group != task.group) batches.clear();
    switch (task.group) {
      case Group::kRegion: batches[TpchTable::kRegion] = generator.Region(); break;
      case Group::kNation: batches[TpchTable::kNation] = generator.Nation(); break;
      case Group::kSupplier:
        generator.Supplier(task.first, task.count, batch_for(TpchTable::kSupplier));
        break;
      case Group::kCustomer:
        generator.Customer(task.first, task.count, batch_for(TpchTable::kCustomer));
        break;
      case Group::kPart:
        generator.Parts(task.first, task.count, batch_for(TpchTable::kPart),
                        batch_for(TpchTable::kPartsupp));
        break;
      case Group::kOrders:
        generator.Orders(task.first, task.count, batch_for(TpchTable::kOrders),
                         batch_for(TpchTable::kLineitem));
        break;
    }
    for (TpchTable table : TablesOf(task.group)) {
      if (!want(table)) continue;
      Status status = WriteChunk(run, worker, table, task.chunk, batches[table]);
      if (!status.ok()) {
        run.Fail(Status(status.code(), std::string(TpchTableName(table)) + ": " +
                                           status.message()));
        break;
      }
    }
  }
  std::lock_guard lock(run.mutex);
  --run.workers_running;
  run.changed.notify_all();
}

// Commits every run of consecutive ready chunks that is complete (per_commit chunks, or the last
// ones of the table). Called with the mutex held; releases it while committing.
Status CommitReady(Run& run, std::unique_lock<std::mutex>& lock) {
  int64_t per_commit = std::max<int64_t>(1, run.options->chunks_per_commit);
  for (auto& [table, target] : run.delta) {
    while (true) {
      int64_t end = std::min(target.chunks, target.next_chunk + per_commit);
      if (target.next_chunk >= end) break;
      bool complete = true;
      for (int64_t chunk = target.next_chunk; chunk < end; ++chunk) {
        if (target.ready.count(chunk) == 0) complete = false;
      }
      if (!complete) break;
      std::vector<delta::Action> actions;
      int64_t rows = 0, bytes = 0, files = 0;
      for (int64_t chunk = target.next_chunk; chunk < end; ++chunk) {
        auto node = target.ready.extract(chunk);
        for (auto& add : node.mapped().first) {
          bytes += add.size;
          ++files;
          actions.emplace_back(std::move(add));
        }
        rows += node.mapped().second;
      }
      delta::Transaction transaction(&target.table->log(), target.snapshot);
      transaction.SetOperation("WRITE", {{"mode", "Append"}, {"partitionBy", "[]"}});
      transaction.SetCommitInfoField(
          "operationMetrics", {{"numFiles", std::to_string(files)},
                               {"numOutputRows", std::to_string(rows)},
                               {"numOutputBytes", std::to_string(bytes)}});
      transaction.AddActions(std::move(actions));
      delta::AppendCommitter committer(target.table.get());
      lock.unlock();
      auto committed = committer.Commit(transaction);
      lock.lock();
      if (!committed.ok()) {
        return Status(committed.status().code(), std::string(TpchTableName(table)) +
                                                     ": commit failed: " +
                                                     committed.status().message());
      }
      target.snapshot = committed->snapshot;
      target.next_chunk = end;
      TpchTableSummary& summary = run.summaries[table];
      summary.rows += rows;
      summary.files += files;
      summary.bytes += bytes;
      summary.commits += 1;
    }
  }
  return Status::OK();
}

}  // namespace

Result<TpchSummary> GenerateTpch(const TpchOptions& options) {
  if (options.output.empty() || options.output == "-") {
    return Status::Invalid("tpch needs an --output prefix (each table goes to <output>/<table>)");
  }
  if (options.rows_per_chunk < 0) return Status::Invalid("--rows-per-file must be > 0");
  NL_ASSIGN_OR_RETURN(TpchGenerator generator, TpchGenerator::Make(options.scale, options.seed));

  char scale_buffer[32];
  std::snprintf(scale_buffer, sizeof(scale_buffer), "%g", options.scale);
  std::string scale_text = scale_buffer;

  Run run;
  run.generator = &generator;
  run.options = &options;
  run.wanted.insert(options.tables.begin(), options.tables.end());
  if (run.wanted.empty()) run.wanted.insert(AllTpchTables().begin(), AllTpchTables().end());
  std::vector<TpchTable> tables;  // in specification order
  for (TpchTable table : AllTpchTables()) {
    if (run.wanted.count(table) > 0) tables.push_back(table);
  }

  // Tasks, biggest groups first so that the long ones start early.
  int64_t total_rows = 0;
  for (Group group : {Group::kOrders, Group::kPart, Group::kCustomer, Group::kSupplier,
                      Group::kNation, Group::kRegion}) {
    bool needed = false;
    for (TpchTable table : TablesOf(group)) {
      if (run.wanted.count(table) > 0) {
        needed = true;
        total_rows += generator.Rows(table);
      }
    }
    if (!needed) continue;
    TpchTable driver = TablesOf(group).front();
    int64_t rows = generator.Rows(driver);
    int64_t chunk_rows = options.rows_per_chunk > 0 ? options.rows_per_chunk
                                                    : DefaultChunkRows(group);
    int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      int64_t first = chunk * chunk_rows;
      run.tasks.push_back({group, chunk, first, std::min(chunk_rows, rows - first)});
    }
    for (TpchTable table : TablesOf(group)) {
      if (run.wanted.count(table) > 0) run.delta[table].chunks = chunks;
    }
  }
  if (options.format != OutputFormat::kDelta) run.delta.clear();

  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, std::max<size_t>(1, run.tasks.size())));

  // One engine; DuckDB runs each COPY on the calling worker thread (threads = 1), so `threads`
  // workers use `threads` cores.
  engine::EngineOptions engine_options;
  engine_options.storage = options.storage;
  engine_options.threads = 1;
  NL_ASSIGN_OR_RETURN(auto engine, engine::Engine::Make(engine_options));
  run.engine = engine.get();

  NL_ASSIGN_OR_RETURN(auto location, storage::ParseLocation(options.output));
  std::string prefix = location.ToUri();
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  run.root = location.scheme == "file" ? location.path : prefix;
  while (run.root.size() > 1 && run.root.back() == '/') run.root.pop_back();
  NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(location, options.storage));
  run.store = store.get();

  if (options.format == OutputFormat::kDelta) {
    // Refuse existing tables before creating any.
    for (auto& [table, target] : run.delta) {
      delta::TableOptions table_options;
      table_options.storage = options.storage;
      table_options.engine = engine.get();
      NL_ASSIGN_OR_RETURN(target.table, delta::DeltaTable::Open(
                                            prefix + "/" + std::string(TpchTableName(table)),
                                            table_options));
      NL_ASSIGN_OR_RETURN(bool exists, target.table->Exists());
      if (exists) {
        return Status::Invalid("a Delta table already exists at '" + target.table->uri() +
                               "'; remove it or choose another --output");
      }
    }
    for (auto& [table, target] : run.delta) {
      delta::CreateTableOptions create;
      create.schema = DeltaSchemaOf(table);
      create.name = std::string(TpchTableName(table));
      create.description =
          "TPC-H " + std::string(TpchTableName(table)) + ", scale factor " + scale_text;
      NL_ASSIGN_OR_RETURN(auto created, delta::CreateTable(*target.table, create));
      target.snapshot = created.snapshot;
      run.summaries[table].commits += 1;
    }
  } else if (location.scheme == "file") {
    for (TpchTable table : tables) {
      std::error_code error;
      std::filesystem::create_directories(
          std::filesystem::path(location.path) / std::string(TpchTableName(table)), error);
      if (error) return Status::IOError("cannot create a directory below '" + location.path + "'");
    }
  }

  Progress progress(options.progress_stream, "generate tpch sf " + scale_text, total_rows,
                    options.progress_is_terminal);

  run.workers_running = threads;
  std::vector<std::thread> pool;
  for (int worker = 0; worker < threads; ++worker) {
    pool.emplace_back([&run, worker] { Worker(run, worker); });
  }
  {
    std::unique_lock lock(run.mutex);
    while (true) {
      if (run.status.ok() && !run.delta.empty()) {
        Status committed = CommitReady(run, lock);
        if (!committed.ok() && run.status.ok()) run.status = committed;
      }
      int64_t files = 0, bytes = 0;
      for (const auto& [table, summary] : run.summaries) {
        files += summary.files;
        bytes += summary.bytes;
      }
      int64_t rows_done = run.rows_done;
      lock.unlock();
      progress.Update(rows_done, bytes, files);
      lock.lock();
      if (run.workers_running == 0) {
        if (run.status.ok() && !run.delta.empty()) {
          Status committed = CommitReady(run, lock);
          if (!committed.ok()) run.status = committed;
        }
        break;
      }
      run.changed.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  for (auto& thread : pool) thread.join();
  if (!run.status.ok()) return run.status;
  for (const auto& [table, target] : run.delta) {
    if (target.next_chunk != target.chunks) {
      return Status::Internal(std::string(TpchTableName(table)) + ": not every chunk committed");
    }
  }

  TpchSummary summary;
  for (TpchTable table : tables) {
    TpchTableSummary table_summary = run.summaries[table];
    table_summary.table = table;
    summary.rows += table_summary.rows;
    summary.files += table_summary.files;
    summary.bytes += table_summary.bytes;
    summary.tables.push_back(table_summary);
  }
  progress.Update(summary.rows, summary.bytes, summary.files);
  progress.Finish();
  summary.seconds = progress.ElapsedSeconds();
  return summary;
}

}  // namespace neuralake::gen
