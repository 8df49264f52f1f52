#include "neuralake/mv/source_changes.h"

#include <map>
#include <set>

namespace neuralake::mv {
namespace {

std::string Describe(const std::string& name, int64_t from_version, int64_t version,
                     const std::string& what, const std::string& operation) {
  std::string text = "source " + name + " had " + what + " since version " +
                     std::to_string(from_version) + " (version " + std::to_string(version);
  if (!operation.empty()) text += ", " + operation;
  return text + ")";
}

}  // namespace

Result<SourceChanges> ChangesSince(const delta::DeltaTable& table, const delta::Snapshot& to,
                                   int64_t from_version, const std::string& name) {
  SourceChanges changes;
  if (from_version > to.version) {
    changes.reason = "source " + name + " is at version " + std::to_string(to.version) +
                     ", older than the recorded version " + std::to_string(from_version);
    return changes;
  }
  std::set<std::string> appended;
  for (int64_t version = from_version + 1; version <= to.version; ++version) {
    auto actions = table.log().ReadCommit(version);
    if (!actions.ok()) {
      if (!actions.status().IsNotFound()) return actions.status();
      changes.reason = "source " + name + ": commit " + std::to_string(version) +
                       " is no longer in the log";
      return changes;
    }
    ++changes.commits;
    std::string operation;
    for (const auto& action : *actions) {
      if (auto* info = std::get_if<delta::CommitInfo>(&action)) operation = info->Operation();
    }
    for (const auto& action : *actions) {
      if (std::holds_alternative<delta::Metadata>(action) ||
          std::holds_alternative<delta::Protocol>(action)) {
        changes.reason = Describe(name, from_version, version, "a schema or metadata change",
                                  operation);
        return changes;
      }
      if (auto* add = std::get_if<delta::AddFile>(&action)) {
        if (add->deletion_vector) {
          changes.reason = Describe(name, from_version, version, "a deletion vector", operation);
          return changes;
        }
        if (add->data_change) appended.insert(add->path);
      } else if (auto* remove = std::get_if<delta::RemoveFile>(&action)) {
        if (remove->data_change) {
          changes.reason = Describe(name, from_version, version, "a delete or overwrite",
                                    operation);
          return changes;
        }
        if (appended.count(remove->path)) {
          changes.reason = Describe(name, from_version, version,
                                    "a rewrite of newly appended files", operation);
          return changes;
        }
      }
    }
  }
  for (const auto& file : to.files) {
    if (appended.erase(file.path)) changes.added.push_back(file);
  }
  if (!appended.empty()) {
    changes.reason = "source " + name + ": appended file " + *appended.begin() +
                     " is no longer active";
    changes.added.clear();
    return changes;
  }
  changes.append_only = true;
  return changes;
}

}  // namespace neuralake::mv
