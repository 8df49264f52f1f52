#include "neuralake/catalog/table_function.h"

#include <charconv>
#include <mutex>

namespace neuralake::catalog {
namespace {

std::mutex registry_mutex;

std::map<std::string, std::shared_ptr<const TableFunction>>& Registry() {
  static auto* registry = new std::map<std::string, std::shared_ptr<const TableFunction>>();
  return *registry;
}

}  // namespace

std::string FunctionArgs::String(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

Result<int64_t> FunctionArgs::Int(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::Invalid("argument '" + name + "' must be an integer, got '" + text + "'");
  }
  return value;
}

Status FunctionArgs::OnlyKnown(const std::vector<std::string>& known) const {
  for (const auto& [name, value] : values_) {
    bool found = false;
    for (const auto& k : known) found = found || k == name;
    if (!found) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::Invalid("unknown argument '" + name + "' (known: " + list + ")");
    }
  }
  return Status::OK();
}

void RegisterTableFunction(TableFunction function) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  std::string name = function.name;
  Registry()[name] = std::make_shared<const TableFunction>(std::move(function));
}

Result<std::shared_ptr<const TableFunction>> FindTableFunction(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = Registry().find(name);
  if (it != Registry().end()) return it->second;
  std::string known;
  for (const auto& [registered, function] : Registry()) {
    known += (known.empty() ? "" : ", ") + registered;
  }
  return Status::NotFound("unknown table function '" + name + "' (registered: " +
                          (known.empty() ? "none" : known) + ")");
}

std::vector<std::string> TableFunctionNames() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  std::vector<std::string> names;
  for (const auto& [name, function] : Registry()) names.push_back(name);
  return names;
}

}  // namespace neuralake::catalog
