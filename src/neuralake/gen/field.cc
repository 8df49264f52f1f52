#include "neuralake/gen/field.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "neuralake/common/uuid.h"
#include "neuralake/gen/vocabulary.h"

namespace neuralake::gen {
namespace {

using engine::ColumnData;
using engine::ColumnKind;

template <typename List>
std::string_view Pick(RowRandom& random, const List& list) {
  return list[random.Below(list.size())];
}

class FieldError {
 public:
  explicit FieldError(const FieldSpec& spec) : spec_(spec) {}
  Status operator()(const std::string& message) const {
    std::string where = spec_.line > 0 ? "line " + std::to_string(spec_.line) + ", " : "";
    return Status::Invalid(where + "field '" + spec_.name + "' (" + spec_.generator + "): " +
                           message);
  }

 private:
  const FieldSpec& spec_;
};

// A field whose values come from one lambda per row.
template <typename Draw>
class LambdaField : public Field {
 public:
  LambdaField(std::string name, ColumnKind kind, double null_ratio, Draw draw)
      : Field(std::move(name), kind, null_ratio), draw_(std::move(draw)) {}

 protected:
  void Append(RowRandom& random, int64_t row, ColumnData* column) const override {
    draw_(random, row, column);
  }

 private:
  Draw draw_;
};

template <typename Draw>
std::shared_ptr<const Field> Make(const FieldSpec& spec, ColumnKind kind, Draw draw) {
  return std::make_shared<LambdaField<Draw>>(spec.name, kind, spec.null_ratio, std::move(draw));
}

// Sampling from a discrete CDF by binary search.
size_t SampleCdf(const std::vector<double>& cdf, double u) {
  return static_cast<size_t>(std::upper_bound(cdf.begin(), cdf.end(), u * cdf.back()) -
                             cdf.begin());
}

std::string UuidFrom(RowRandom& random) {
  uint64_t high = random.Next();
  return FormatUuidV4(high, random.Next());
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using FieldPtr = std::shared_ptr<const Field>;

// What a generator's compiler sees: the spec (already checked for a name, a null ratio in [0, 1]
// and finite parameters), its error formatter, and the integer kind its `type` asks for.
struct FieldContext {
  const FieldSpec& spec;
  FieldError error;
  ColumnKind int_kind;

  double Param(const std::string& key, double fallback) const {
    auto it = spec.params.find(key);
    return it == spec.params.end() ? fallback : it->second;
  }
  const std::string& generator() const { return spec.generator; }
};

template <typename Draw>
FieldPtr Text(const FieldContext& context, Draw draw) {
  return Make(context.spec, ColumnKind::kString, std::move(draw));
}

// Numeric distributions.

Result<FieldPtr> CompileSequence(const FieldContext& context) {
  int64_t start = static_cast<int64_t>(context.Param("start", 0));
  int64_t step = static_cast<int64_t>(context.Param("step", 1));
  return Make(context.spec, context.int_kind, [=](RowRandom&, int64_t row, ColumnData* c) {
    c->ints.push_back(start + row * step);
  });
}

// uniform (DOUBLE) and uniform_int.
Result<FieldPtr> CompileUniform(const FieldContext& context) {
  bool real = context.generator() == "uniform";
  double low = context.Param("min", 0), high = context.Param("max", real ? 1 : 100);
  if (!(high >= low)) return context.error("needs min <= max");
  if (real) {
    return Make(context.spec, ColumnKind::kDouble, [=](RowRandom& r, int64_t, ColumnData* c) {
      c->doubles.push_back(low + (high - low) * r.Uniform());
    });
  }
  int64_t lo = static_cast<int64_t>(low), span = static_cast<int64_t>(high) - lo + 1;
  return Make(context.spec, context.int_kind, [=](RowRandom& r, int64_t, ColumnData* c) {
    c->ints.push_back(lo + static_cast<int64_t>(r.Below(static_cast<uint64_t>(span))));
  });
}

// normal and lognormal.
Result<FieldPtr> CompileNormal(const FieldContext& context) {
  double mean = context.Param("mean", 0), stddev = context.Param("stddev", 1);
  if (!(stddev > 0)) return context.error("stddev must be > 0");
  bool log_normal = context.generator() == "lognormal";
  return Make(context.spec, ColumnKind::kDouble, [=](RowRandom& r, int64_t, ColumnData* c) {
    double value = mean + stddev * r.Normal();
    c->doubles.push_back(log_normal ? std::exp(value) : value);
  });
}

Result<FieldPtr> CompileExponential(const FieldContext& context) {
  double rate = context.Param("rate", 1);
  if (!(rate > 0)) return context.error("rate must be > 0");
  return Make(context.spec, ColumnKind::kDouble, [=](RowRandom& r, int64_t, ColumnData* c) {
    c->doubles.push_back(-std::log(1.0 - r.Uniform()) / rate);
  });
}

Result<FieldPtr> CompilePoisson(const FieldContext& context) {
  double lambda = context.Param("lambda", 1);
  if (!(lambda > 0)) return context.error("lambda must be > 0");
  if (lambda > 1e6) return context.error("lambda must be <= 1e6");
  return Make(context.spec, context.int_kind, [=](RowRandom& r, int64_t, ColumnData* c) {
    if (lambda <= 64) {
      // Inversion: walk the CDF from 0.
      double u = r.Uniform(), p = std::exp(-lambda), cdf = p;
      int64_t k = 0;
      while (u > cdf && k < 10'000) {
        ++k;
        p *= lambda / static_cast<double>(k);
        cdf += p;
      }
      c->ints.push_back(k);
    } else {
      // Normal approximation with continuity correction for large lambda.
      double value = std::floor(lambda + std::sqrt(lambda) * r.Normal() + 0.5);
      c->ints.push_back(std::max<int64_t>(0, static_cast<int64_t>(value)));
    }
  });
}

// Discrete choices: ranks, categories, booleans.

Result<FieldPtr> CompileZipf(const FieldContext& context) {
  double n = context.Param("n", 1000), s = context.Param("s", 1.1);
  if (!(n >= 1 && n <= 10'000'000)) return context.error("n must be in [1, 10000000]");
  if (!(s > 0)) return context.error("s must be > 0");
  auto cdf = std::make_shared<std::vector<double>>(static_cast<size_t>(n));
  double total = 0;
  for (size_t k = 0; k < cdf->size(); ++k) {
    total += 1.0 / std::pow(static_cast<double>(k + 1), s);
    (*cdf)[k] = total;
  }
  return Make(context.spec, context.int_kind, [cdf](RowRandom& r, int64_t, ColumnData* c) {
    c->ints.push_back(static_cast<int64_t>(SampleCdf(*cdf, r.Uniform())) + 1);  // rank 1..n
  });
}

Result<FieldPtr> CompileCategorical(const FieldContext& context) {
  const FieldSpec& spec = context.spec;
  if (spec.categories.empty()) return context.error("needs a non-empty 'categories' list");
  if (!spec.weights.empty() && spec.weights.size() != spec.categories.size()) {
    return context.error("has " + std::to_string(spec.categories.size()) + " categories but " +
                         std::to_string(spec.weights.size()) + " weights");
  }
  auto cdf = std::make_shared<std::vector<double>>();
  double total = 0;
  for (size_t i = 0; i < spec.categories.size(); ++i) {
    double w = spec.weights.empty() ? 1.0 : spec.weights[i];
    if (!(w >= 0)) return context.error("weights must be >= 0");
    total += w;
    cdf->push_back(total);
  }
  if (!(total > 0)) return context.error("weights must not all be 0");
  auto categories = std::make_shared<std::vector<std::string>>(spec.categories);
  return Make(spec, ColumnKind::kString, [=](RowRandom& r, int64_t, ColumnData* c) {
    size_t index = std::min(SampleCdf(*cdf, r.Uniform()), categories->size() - 1);
    c->strings.push_back((*categories)[index]);
  });
}

Result<FieldPtr> CompileBoolean(const FieldContext& context) {
  double p = context.Param("p", 0.5);
  if (!(p >= 0 && p <= 1)) return context.error("p must be in [0, 1]");
  return Make(context.spec, ColumnKind::kBool, [=](RowRandom& r, int64_t, ColumnData* c) {
    c->ints.push_back(r.Uniform() < p ? 1 : 0);
  });
}

// Timestamps.

// Monotonic: start + row * step + jitter in [0, jitter) with jitter <= step, in microseconds
// (TIMESTAMP WITH TIME ZONE), or in nanoseconds with `nanoseconds: 1` (BIGINT).
Result<FieldPtr> CompileTimestamp(const FieldContext& context) {
  double start = context.Param("start", 1'767'225'600'000'000.0);  // 2026-01-01T00:00:00Z
  double step = context.Param("step", 1000);
  double jitter = context.Param("jitter", step);
  bool nanos = context.Param("nanoseconds", 0) != 0;
  if (!(step >= 0)) return context.error("step must be >= 0");
  if (!(jitter >= 0 && jitter <= std::max(step, 1.0))) {
    return context.error("jitter must be in [0, step] to keep timestamps monotonic");
  }
  int64_t start_i = static_cast<int64_t>(start), step_i = static_cast<int64_t>(step);
  uint64_t jitter_i = static_cast<uint64_t>(jitter);
  return Make(context.spec, nanos ? ColumnKind::kInt64 : ColumnKind::kTimestampMicros,
              [=](RowRandom& r, int64_t row, ColumnData* c) {
                c->ints.push_back(start_i + row * step_i +
                                  static_cast<int64_t>(jitter_i ? r.Below(jitter_i) : 0));
              });
}

// Faker-like text: people and places.

Result<FieldPtr> CompileUuid(const FieldContext& context) {
  return Text(context,
              [](RowRandom& r, int64_t, ColumnData* c) { c->strings.push_back(UuidFrom(r)); });
}

// name, first_name and last_name.
Result<FieldPtr> CompilePersonName(const FieldContext& context) {
  std::string g = context.generator();
  return Text(context, [g](RowRandom& r, int64_t, ColumnData* c) {
    std::string value;
    if (g != "last_name") value += Pick(r, vocabulary::FirstNames());
    if (g == "name") value += ' ';
    if (g != "first_name") value += Pick(r, vocabulary::LastNames());
    c->strings.push_back(std::move(value));
  });
}

// email and username.
Result<FieldPtr> CompileAccount(const FieldContext& context) {
  bool email = context.generator() == "email";
  return Text(context, [email](RowRandom& r, int64_t, ColumnData* c) {
    std::string value = Lower(Pick(r, vocabulary::FirstNames()));
    value += email ? "." : "_";
    value += Lower(Pick(r, vocabulary::LastNames()));
    value += std::to_string(r.Below(1000));
    if (email) {
      value += "@";
      value += Pick(r, vocabulary::EmailDomains());
    }
    c->strings.push_back(std::move(value));
  });
}

Result<FieldPtr> CompilePhone(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    char value[24];
    std::snprintf(value, sizeof(value), "+1-%03llu-555-%04llu",
                  static_cast<unsigned long long>(200 + r.Below(800)),
                  static_cast<unsigned long long>(r.Below(10000)));
    c->strings.push_back(value);
  });
}

Result<FieldPtr> CompileStreetAddress(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    std::string value = std::to_string(1 + r.Below(9999)) + " ";
    value += Pick(r, vocabulary::Streets());
    value += ' ';
    value += Pick(r, vocabulary::StreetSuffixes());
    c->strings.push_back(std::move(value));
  });
}

// city and country.
Result<FieldPtr> CompilePlace(const FieldContext& context) {
  bool city = context.generator() == "city";
  return Text(context, [city](RowRandom& r, int64_t, ColumnData* c) {
    c->strings.emplace_back(city ? Pick(r, vocabulary::Cities())
                                 : Pick(r, vocabulary::Countries()));
  });
}

Result<FieldPtr> CompileCompany(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    std::string value(Pick(r, vocabulary::LastNames()));
    value += ' ';
    value += Pick(r, vocabulary::CompanySuffixes());
    c->strings.push_back(std::move(value));
  });
}

// Faker-like text: the web and prose.

Result<FieldPtr> CompileIpv4(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    uint64_t bits = r.Next();
    char value[16];
    std::snprintf(value, sizeof(value), "%llu.%llu.%llu.%llu",
                  static_cast<unsigned long long>(1 + (bits & 0xFF) % 223),
                  static_cast<unsigned long long>((bits >> 8) & 0xFF),
                  static_cast<unsigned long long>((bits >> 16) & 0xFF),
                  static_cast<unsigned long long>(1 + ((bits >> 24) & 0xFF) % 254));
    c->strings.push_back(value);
  });
}

Result<FieldPtr> CompileIpv6(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    uint64_t a = r.Next(), b = r.Next();
    char value[40];
    std::snprintf(value, sizeof(value), "2001:db8:%x:%x:%x:%x:%x:%x",
                  static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>((a >> 16) & 0xFFFF),
                  static_cast<unsigned>((a >> 32) & 0xFFFF), static_cast<unsigned>(b & 0xFFFF),
                  static_cast<unsigned>((b >> 16) & 0xFFFF),
                  static_cast<unsigned>((b >> 32) & 0xFFFF));
    c->strings.push_back(value);
  });
}

Result<FieldPtr> CompileUserAgent(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    std::string value(Pick(r, vocabulary::UserAgentTemplates()));
    std::string version = std::to_string(90 + r.Below(40));
    for (size_t at; (at = value.find("{v}")) != std::string::npos;) value.replace(at, 3, version);
    c->strings.push_back(std::move(value));
  });
}

Result<FieldPtr> CompileUrl(const FieldContext& context) {
  return Text(context, [](RowRandom& r, int64_t, ColumnData* c) {
    std::string value = "https://www.";
    value += Pick(r, vocabulary::EmailDomains());
    value += '/';
    value += Pick(r, vocabulary::WebWords());
    value += '/';
    value += Pick(r, vocabulary::WebWords());
    value += "?id=" + std::to_string(r.Below(100000));
    c->strings.push_back(std::move(value));
  });
}

Result<FieldPtr> CompileLorem(const FieldContext& context) {
  int64_t words = static_cast<int64_t>(context.Param("words", 8));
  if (words < 1 || words > 10'000) return context.error("words must be in [1, 10000]");
  return Text(context, [words](RowRandom& r, int64_t, ColumnData* c) {
    std::string value;
    int64_t count = 1 + static_cast<int64_t>(r.Below(static_cast<uint64_t>(words)));
    for (int64_t i = 0; i < count; ++i) {
      if (i > 0) value += ' ';
      value += Pick(r, vocabulary::Lorem());
    }
    c->strings.push_back(std::move(value));
  });
}

using FieldCompiler = Result<FieldPtr> (*)(const FieldContext&);

struct GeneratorEntry {
  std::string name;
  FieldCompiler compile;
};

// Every generator, in the order KnownGenerators lists them.
const std::vector<GeneratorEntry>& Generators() {
  static const std::vector<GeneratorEntry> kGenerators = {
      {"sequence", CompileSequence},
      {"uniform", CompileUniform},
      {"uniform_int", CompileUniform},
      {"normal", CompileNormal},
      {"lognormal", CompileNormal},
      {"exponential", CompileExponential},
      {"poisson", CompilePoisson},
      {"zipf", CompileZipf},
      {"categorical", CompileCategorical},
      {"boolean", CompileBoolean},
      {"timestamp", CompileTimestamp},
      {"uuid", CompileUuid},
      {"name", CompilePersonName},
      {"first_name", CompilePersonName},
      {"last_name", CompilePersonName},
      {"email", CompileAccount},
      {"username", CompileAccount},
      {"phone", CompilePhone},
      {"street_address", CompileStreetAddress},
      {"city", CompilePlace},
      {"country", CompilePlace},
      {"company", CompileCompany},
      {"ipv4", CompileIpv4},
      {"ipv6", CompileIpv6},
      {"user_agent", CompileUserAgent},
      {"url", CompileUrl},
      {"lorem", CompileLorem},
  };
  return kGenerators;
}

}  // namespace

void Field::Fill(uint64_t seed, uint64_t column_index, int64_t first, int64_t count,
                 ColumnData* column) const {
  bool nullable = null_ratio_ > 0;
  if (nullable && column->valid.empty()) {
    column->valid.assign(column->ints.size() + column->doubles.size() + column->strings.size(),
                         1);
  }
  for (int64_t row = first; row < first + count; ++row) {
    RowRandom random(seed, column_index, static_cast<uint64_t>(row));
    bool is_null = nullable && random.Uniform() < null_ratio_;
    Append(random, row, column);  // a placeholder value keeps vectors aligned for NULL rows
    if (nullable) column->valid.push_back(is_null ? 0 : 1);
  }
}

const std::vector<std::string>& KnownGenerators() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& entry : Generators()) names.push_back(entry.name);
    return names;
  }();
  return kNames;
}

Result<std::shared_ptr<const Field>> CompileField(const FieldSpec& spec) {
  FieldError error(spec);
  if (spec.name.empty()) return Status::Invalid("a field has no name (line " +
                                                std::to_string(spec.line) + ")");
  if (!(spec.null_ratio >= 0 && spec.null_ratio <= 1)) {
    return error("null_ratio must be in [0, 1], got " + std::to_string(spec.null_ratio));
  }
  for (const auto& [key, value] : spec.params) {
    if (!std::isfinite(value)) return error("parameter '" + key + "' is not a finite number");
  }
  FieldContext context{spec, error, spec.type == "int32" ? ColumnKind::kInt32 : ColumnKind::kInt64};
  for (const auto& entry : Generators()) {
    if (entry.name == spec.generator) return entry.compile(context);
  }
  std::string known;
  for (const auto& name : KnownGenerators()) known += (known.empty() ? "" : ", ") + name;
  return error("unknown generator '" + spec.generator + "' (known: " + known + ")");
}

}  // namespace neuralake::gen
