#include "neuralake/gen/dataset.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace neuralake::gen {

engine::ColumnBatch Dataset::Generate(uint64_t seed, int64_t first, int64_t count) const {
  engine::ColumnBatch batch;
  batch.num_rows = count;
  batch.columns.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    engine::ColumnData& column = batch.columns[i];
    column.name = fields[i]->name();
    column.kind = fields[i]->kind();
    fields[i]->Fill(seed, i, first, count, &column);
  }
  return batch;
}

Result<Dataset> CompileDataset(const DatasetSpec& spec) {
  if (spec.fields.empty()) {
    return Status::Invalid("dataset '" + spec.name + "' has no fields");
  }
  Dataset dataset;
  dataset.name = spec.name;
  std::set<std::string> names;
  for (const FieldSpec& field : spec.fields) {
    if (!names.insert(field.name).second) {
      return Status::Invalid((field.line > 0 ? "line " + std::to_string(field.line) + ", " : "") +
                             "field '" + field.name + "' is defined twice");
    }
    NL_ASSIGN_OR_RETURN(auto compiled, CompileField(field));
    dataset.fields.push_back(std::move(compiled));
  }
  return dataset;
}

const std::vector<std::string>& PresetNames() {
  static const std::vector<std::string> kNames = {"events", "telemetry"};
  return kNames;
}

Result<DatasetSpec> PresetSpec(const std::string& name) {
  auto field = [](std::string field_name, std::string generator,
                  std::map<std::string, double> params = {}) {
    FieldSpec spec;
    spec.name = std::move(field_name);
    spec.generator = std::move(generator);
    spec.params = std::move(params);
    return spec;
  };
  DatasetSpec spec;
  spec.name = name;
  if (name == "events") {
    // A click stream: users with Zipf activity, event types with Zipf-like popularity.
    FieldSpec event_type = field("event_type", "categorical");
    event_type.categories = {"page_view", "click", "search", "add_to_cart", "checkout",
                             "purchase", "signup", "logout"};
    event_type.weights = {100, 50, 33, 25, 20, 16, 14, 12};
    FieldSpec revenue = field("revenue", "lognormal", {{"mean", 3.0}, {"stddev", 0.9}});
    revenue.null_ratio = 0.85;
    FieldSpec device = field("device", "categorical");
    device.categories = {"desktop", "mobile", "tablet"};
    device.weights = {45, 48, 7};
    spec.fields = {field("event_id", "sequence"),
                   field("event_time", "timestamp", {{"step", 1000}, {"jitter", 1000}}),
                   field("user_id", "zipf", {{"n", 100000}, {"s", 1.1}}),
                   field("session_id", "uniform_int", {{"min", 1}, {"max", 5000000}}),
                   event_type,
                   field("url", "url"),
                   field("country", "country"),
                   field("city", "city"),
                   field("ip", "ipv4"),
                   device,
                   field("user_agent", "user_agent"),
                   field("duration_ms", "exponential", {{"rate", 0.002}}),
                   revenue};
    return spec;
  }
  if (name == "telemetry") {
    // Neural-device readings: devices, recording sessions, electrode channels, ns timestamps.
    FieldSpec channel = field("channel_id", "uniform_int", {{"min", 0}, {"max", 255}});
    channel.type = "int32";
    FieldSpec spikes = field("spike_count", "poisson", {{"lambda", 3.0}});
    spikes.type = "int32";
    FieldSpec quality = field("signal_quality", "categorical");
    quality.categories = {"good", "noisy", "saturated", "dropout"};
    quality.weights = {90, 7, 2, 1};
    FieldSpec impedance = field("impedance_kohm", "lognormal", {{"mean", 5.5}, {"stddev", 0.4}});
    impedance.null_ratio = 0.02;
    spec.fields = {field("device_id", "uniform_int", {{"min", 1}, {"max", 1000}}),
                   field("session_id", "uniform_int", {{"min", 1}, {"max", 100000}}),
                   channel,
                   field("timestamp_ns", "timestamp",
                         {{"start", 1'767'225'600'000'000'000.0},
                          {"step", 33'333},
                          {"jitter", 1000},
                          {"nanoseconds", 1}}),
                   field("reading_uv", "normal", {{"mean", 0}, {"stddev", 45}}),
                   spikes,
                   field("band_power", "exponential", {{"rate", 0.5}}),
                   impedance,
                   quality};
    return spec;
  }
  if (name == "tpch") {
    return Status::Unsupported("the tpch preset is not implemented yet");
  }
  std::string known;
  for (const auto& preset : PresetNames()) known += (known.empty() ? "" : ", ") + preset;
  return Status::Invalid("unknown schema preset '" + name + "' (known: " + known + ")");
}

Result<DatasetSpec> ParseDatasetSpec(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    return Status::Invalid(origin + ": " + error.what());
  }
  auto where = [&](const YAML::Node& node) {
    return origin + " line " + std::to_string(node.Mark().line + 1);
  };
  DatasetSpec spec;
  try {
    if (!root.IsMap()) return Status::Invalid(origin + ": expected a mapping with 'fields'");
    for (const auto& entry : root) {
      std::string key = entry.first.as<std::string>();
      if (key == "name") {
        spec.name = entry.second.as<std::string>();
      } else if (key != "fields") {
        return Status::Invalid(where(entry.first) + ": unknown key '" + key +
                               "' (expected name, fields)");
      }
    }
    const YAML::Node fields = root["fields"];
    if (!fields || !fields.IsSequence() || fields.size() == 0) {
      return Status::Invalid(origin + ": 'fields' must be a non-empty list");
    }
    for (const auto& node : fields) {
      if (!node.IsMap()) return Status::Invalid(where(node) + ": a field must be a mapping");
      FieldSpec field;
      field.line = node.Mark().line + 1;
      for (const auto& entry : node) {
        std::string key = entry.first.as<std::string>();
        const YAML::Node& value = entry.second;
        if (key == "name") {
          field.name = value.as<std::string>();
        } else if (key == "generator") {
          field.generator = value.as<std::string>();
        } else if (key == "type") {
          field.type = value.as<std::string>();
          if (field.type != "int32" && field.type != "int64") {
            return Status::Invalid(where(entry.first) + ": type must be int32 or int64");
          }
        } else if (key == "null_ratio") {
          field.null_ratio = value.as<double>();
        } else if (key == "categories") {
          for (const auto& item : value) field.categories.push_back(item.as<std::string>());
        } else if (key == "weights") {
          for (const auto& item : value) field.weights.push_back(item.as<double>());
        } else {
          try {
            field.params[key] = value.as<double>();
          } catch (const YAML::Exception&) {
            return Status::Invalid(where(entry.first) + ": parameter '" + key + "' of field '" +
                                   field.name + "' must be a number");
          }
        }
      }
      if (field.name.empty()) return Status::Invalid(where(node) + ": a field has no 'name'");
      if (field.generator.empty()) {
        return Status::Invalid(where(node) + ": field '" + field.name + "' has no 'generator'");
      }
      spec.fields.push_back(std::move(field));
    }
  } catch (const YAML::Exception& error) {
    return Status::Invalid(origin + ": " + error.what());
  }
  if (spec.name.empty()) spec.name = "custom";
  // Compile once here so that every error (bad parameters included) surfaces at parse time.
  auto compiled = CompileDataset(spec);
  if (!compiled.ok()) return compiled.status().WithContext(origin);
  return spec;
}

Result<DatasetSpec> LoadDatasetSpecFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::NotFound("spec file '" + path + "' does not exist");
  std::stringstream text;
  text << file.rdbuf();
  return ParseDatasetSpec(text.str(), path);
}

}  // namespace neuralake::gen
