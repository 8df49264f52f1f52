// The text of TPC-H rows: the comment pool of the sentence grammar (clause 4.2.2.10), v-strings,
// phone numbers and numbered names. See tpch_text.h.
#include "neuralake/gen/tpch_text.h"

#include <algorithm>
#include <initializer_list>
#include <utility>
#include <vector>

namespace neuralake::gen::tpch {
namespace {

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

// Random alphanumeric strings (clause 4.2.2.7): 64 characters.
constexpr std::string_view kVStringAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,";
static_assert(kVStringAlphabet.size() == 64);

// Writes `value` as exactly `digits` decimal digits (zero-padded) at `out`.
void PutDigits(int64_t value, int digits, char* out) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::shared_ptr<const std::string> BuildTextPool(uint64_t seed) {
  auto pool = std::make_shared<std::string>();
  pool->reserve(kTextPoolBytes + 256);
  RowRandom random(seed, kTextPoolStream, 0);
  while (pool->size() < kTextPoolBytes) Sentence(random, pool.get());
  pool->resize(kTextPoolBytes);
  return pool;
}

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

}  // namespace neuralake::gen::tpch
