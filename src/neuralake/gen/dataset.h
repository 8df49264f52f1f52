// Dataset specs: the columns of a synthetic table, from a built-in preset or a spec file.
//
// Spec file (YAML, or JSON which is a subset):
//
//   name: orders
//   fields:
//     - {name: order_id, generator: sequence, start: 1}
//     - {name: customer, generator: zipf, n: 100000, s: 1.2}
//     - {name: amount, generator: lognormal, mean: 3, stddev: 0.8, null_ratio: 0.01}
//     - {name: status, generator: categorical, categories: [new, paid, shipped],
//        weights: [5, 3, 2]}
//
// Every key other than name/generator/type/null_ratio/categories/weights is a numeric parameter
// of the generator (docs/generator.md lists them). Errors name the field and the line.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/gen/field.h"

namespace neuralake::gen {

struct DatasetSpec {
  std::string name;
  std::vector<FieldSpec> fields;
};

// A compiled dataset: fields ready to generate. Immutable; share across threads.
struct Dataset {
  std::string name;
  std::vector<std::shared_ptr<const Field>> fields;

  // Fills rows [first, first + count) of every column into a new batch.
  engine::ColumnBatch Generate(uint64_t seed, int64_t first, int64_t count) const;
};

Result<Dataset> CompileDataset(const DatasetSpec& spec);

// Built-in presets: "events", "telemetry".
Result<DatasetSpec> PresetSpec(const std::string& name);
const std::vector<std::string>& PresetNames();

Result<DatasetSpec> ParseDatasetSpec(const std::string& text, const std::string& origin);
Result<DatasetSpec> LoadDatasetSpecFile(const std::string& path);

}  // namespace neuralake::gen
