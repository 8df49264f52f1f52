// Fields of a synthetic dataset: what each column holds and how its values are drawn.
//
// A FieldSpec is the declarative description (from a preset or a spec file); CompileField checks
// it (unknown generator, bad parameter -> Invalid naming the field and its spec line) and returns
// a Field that fills rows [first, first + count) of a column deterministically from
// (seed, column index, row index). Compiled fields are immutable and safe to share across threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/engine/column_batch.h"
#include "neuralake/gen/random.h"

namespace neuralake::gen {

struct FieldSpec {
  std::string name;
  // sequence, uniform, uniform_int, normal, lognormal, exponential, poisson, zipf, categorical,
  // boolean, timestamp, uuid, name, first_name, last_name, email, username, phone,
  // street_address, city, country, company, ipv4, ipv6, user_agent, url, lorem
  std::string generator;
  std::map<std::string, double> params;   // e.g. {"mean": 0, "stddev": 1}
  std::vector<std::string> categories;    // categorical
  std::vector<double> weights;            // categorical (default: equal)
  std::string type;                       // optional output type override: int32, int64, string
  double null_ratio = 0.0;                // fraction of NULLs, in [0, 1]
  int line = 0;                           // where the spec file defined it (0: built in)
};

class Field {
 public:
  virtual ~Field() = default;
  const std::string& name() const { return name_; }
  engine::ColumnKind kind() const { return kind_; }
  double null_ratio() const { return null_ratio_; }

  // Appends rows [first, first + count) to `column` (whose name and kind the caller set).
  void Fill(uint64_t seed, uint64_t column_index, int64_t first, int64_t count,
            engine::ColumnData* column) const;

 protected:
  Field(std::string name, engine::ColumnKind kind, double null_ratio)
      : name_(std::move(name)), kind_(kind), null_ratio_(null_ratio) {}
  // Appends one non-null value for `row`.
  virtual void Append(RowRandom& random, int64_t row, engine::ColumnData* column) const = 0;

 private:
  std::string name_;
  engine::ColumnKind kind_;
  double null_ratio_;
};

Result<std::shared_ptr<const Field>> CompileField(const FieldSpec& spec);

// The generator names CompileField accepts, for messages and docs.
const std::vector<std::string>& KnownGenerators();

}  // namespace neuralake::gen
