#include "neuralake/delta/log.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <future>

#include <nlohmann/json.hpp>

#include "neuralake/common/json.h"
#include "neuralake/common/time.h"

namespace neuralake::delta {
namespace {

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}



}  // namespace

std::string VersionString(int64_t version) {
  char text[32];
  std::snprintf(text, sizeof(text), "%020lld", static_cast<long long>(version));
  return text;
}

std::string CommitKey(int64_t version) {
  return std::string(kLogPrefix) + VersionString(version) + ".json";
}

std::string CheckpointKey(int64_t version) {
  return std::string(kLogPrefix) + VersionString(version) + ".checkpoint.parquet";
}

std::string CheckpointPartKey(int64_t version, int part, int parts) {
  char suffix[64];
  std::snprintf(suffix, sizeof(suffix), ".checkpoint.%010d.%010d.parquet", part, parts);
  return std::string(kLogPrefix) + VersionString(version) + suffix;
}

Result<std::string> SidecarKey(std::string_view sidecar_path) {
  auto decoded = DecodePath(sidecar_path);
  if (!decoded.ok()) {
    return Status::Corrupt("sidecar path '" + std::string(sidecar_path) +
                           "': " + decoded.status().message());
  }
  const std::string& path = *decoded;
  constexpr std::string_view kFolder = "_delta_log/_sidecars/";
  std::string name;
  size_t at = path.rfind(kFolder);
  if (at != std::string::npos && (at == 0 || path[at - 1] == '/')) {
    name = path.substr(at + kFolder.size());
  } else if (!IsAbsolutePath(path) && !path.starts_with('/')) {
    name = path;  // the file name (or a path) below `_delta_log/_sidecars/`
  }
  if (name.empty() || name.find("..") != std::string::npos) {
    return Status::Corrupt("sidecar path '" + std::string(sidecar_path) +
                           "' is not a file in the table's _delta_log/_sidecars/");
  }
  return std::string(kSidecarPrefix) + name;
}

Result<storage::ObjectInfo> SidecarFile(const nlohmann::json& sidecar) {
  auto path = sidecar.find("path");
  if (!sidecar.is_object() || path == sidecar.end() || !path->is_string()) {
    return Status::Corrupt("a 'sidecar' action has no path");
  }
  storage::ObjectInfo info;
  NL_ASSIGN_OR_RETURN(info.key, SidecarKey(path->get<std::string>()));
  auto number = [&](const char* key) -> int64_t {
    auto it = sidecar.find(key);
    return it != sidecar.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  info.size = number("sizeInBytes");
  info.modified_ms = number("modificationTime");
  return info;
}

LogFileName ParseLogFileName(std::string_view key) {
  LogFileName out;
  if (key.substr(0, kLogPrefix.size()) == kLogPrefix) key.remove_prefix(kLogPrefix.size());
  if (key.size() < 21 || !AllDigits(key.substr(0, 20)) || key[20] != '.') return out;
  // 20 digits may exceed int64; such a name is not a version we can use.
  if (key[0] != '0') return out;
  int64_t version = std::stoll(std::string(key.substr(0, 20)));
  std::string_view rest = key.substr(21);
  if (rest == "json") {
    out.kind = LogFileName::Kind::kCommit;
    out.version = version;
    return out;
  }
  if (rest.substr(0, 11) != "checkpoint.") return out;
  rest.remove_prefix(11);
  if (rest == "parquet") {
    out.kind = LogFileName::Kind::kCheckpoint;
    out.version = version;
    return out;
  }
  // <part>.<parts>.parquet with 10-digit numbers.
  if (rest.size() == 10 + 1 + 10 + 8 && AllDigits(rest.substr(0, 10)) && rest[10] == '.' &&
      AllDigits(rest.substr(11, 10)) && rest.substr(21) == ".parquet") {
    int64_t part = std::stoll(std::string(rest.substr(0, 10)));
    int64_t parts = std::stoll(std::string(rest.substr(11, 10)));
    if (parts > 1'000'000 || part > parts) return out;
    out.kind = LogFileName::Kind::kCheckpointPart;
    out.version = version;
    out.part = static_cast<int>(part);
    out.parts = static_cast<int>(parts);
    return out;
  }
  if (rest.size() > 8 && (rest.ends_with(".parquet") || rest.ends_with(".json"))) {
    out.kind = LogFileName::Kind::kUuidCheckpoint;
    out.version = version;
  }
  return out;
}

Result<LastCheckpoint> ParseLastCheckpoint(std::string_view text) {
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.status().WithContext("_delta_log/_last_checkpoint");
  try {
    auto& value = *parsed;
    if (!value.is_object() || !value.contains("version") || !value["version"].is_number()) {
      return Status::Corrupt("_delta_log/_last_checkpoint has no numeric 'version'");
    }
    LastCheckpoint last;
    last.version = value["version"].get<int64_t>();
    auto optional = [&](const char* key) -> std::optional<int64_t> {
      auto it = value.find(key);
      if (it == value.end() || !it->is_number()) return std::nullopt;
      return it->get<int64_t>();
    };
    last.size = optional("size").value_or(0);
    last.parts = optional("parts");
    last.size_in_bytes = optional("sizeInBytes");
    last.num_of_add_files = optional("numOfAddFiles");
    return last;
  } catch (const std::exception& error) {
    return Status::Corrupt(std::string("_delta_log/_last_checkpoint is not valid JSON: ") +
                           error.what());
  }
}

std::string SerializeLastCheckpoint(const LastCheckpoint& last) {
  nlohmann::json value = {{"version", last.version}, {"size", last.size}};
  if (last.parts) value["parts"] = *last.parts;
  if (last.size_in_bytes) value["sizeInBytes"] = *last.size_in_bytes;
  if (last.num_of_add_files) value["numOfAddFiles"] = *last.num_of_add_files;
  return value.dump();
}

std::optional<int64_t> LogListing::LatestVersion() const {
  std::optional<int64_t> latest;
  if (!commits.empty()) latest = commits.rbegin()->first;
  if (!checkpoints.empty()) {
    latest = std::max(latest.value_or(-1), checkpoints.rbegin()->first);
  }
  return latest;
}

const CheckpointFiles* LogListing::CheckpointAtOrBefore(int64_t version) const {
  auto it = checkpoints.upper_bound(version);
  if (it == checkpoints.begin()) return nullptr;
  return &std::prev(it)->second;
}

std::optional<int64_t> LogListing::EarliestReconstructableVersion() const {
  if (commits.count(0) > 0) return 0;
  // The oldest checkpoint from which commits are contiguous up to the latest version.
  for (const auto& [version, files] : checkpoints) return version;
  return std::nullopt;
}

DeltaLog::DeltaLog(storage::ObjectStore* store, std::string table_uri, CheckpointReader reader)
    : store_(store), table_uri_(std::move(table_uri)), checkpoint_reader_(std::move(reader)) {}

Result<std::optional<LastCheckpoint>> DeltaLog::ReadLastCheckpoint() const {
  auto text = store_->Get(kLastCheckpointKey);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return std::optional<LastCheckpoint>();
    return text.status();
  }
  NL_ASSIGN_OR_RETURN(LastCheckpoint last, ParseLastCheckpoint(*text));
  return std::optional<LastCheckpoint>(last);
}

Result<LogListing> DeltaLog::List(std::optional<int64_t> from_version) const {
  std::vector<storage::ObjectInfo> objects;
  if (from_version && *from_version > 0) {
    // Every key of version >= from sorts after the bare zero-padded number of `from`.
    NL_ASSIGN_OR_RETURN(objects, store_->ListAfter(kLogPrefix, std::string(kLogPrefix) +
                                                                   VersionString(*from_version)));
  } else {
    NL_ASSIGN_OR_RETURN(objects, store_->List(kLogPrefix));
  }
  LogListing listing;
  // version -> parts count -> part number -> object
  std::map<int64_t, std::map<int, std::map<int, storage::ObjectInfo>>> parts;
  std::map<int64_t, storage::ObjectInfo> uuid_checkpoints;  // the first (by key) per version
  for (auto& object : objects) {
    LogFileName name = ParseLogFileName(object.key);
    if (name.kind == LogFileName::Kind::kOther) continue;
    if (from_version && name.version < *from_version) continue;
    switch (name.kind) {
      case LogFileName::Kind::kCommit:
        listing.commits[name.version] = std::move(object);
        break;
      case LogFileName::Kind::kCheckpoint:
        listing.checkpoints[name.version] = CheckpointFiles{name.version, {std::move(object)}};
        break;
      case LogFileName::Kind::kCheckpointPart:
        if (name.parts > 0 && name.part >= 1 && name.part <= name.parts) {
          parts[name.version][name.parts][name.part] = std::move(object);
        }
        break;
      case LogFileName::Kind::kUuidCheckpoint:
        uuid_checkpoints.emplace(name.version, std::move(object));
        break;
      case LogFileName::Kind::kOther:
        break;
    }
  }
  for (auto& [version, object] : uuid_checkpoints) {
    // A classic checkpoint of the same version is preferred (one file, no sidecars).
    if (listing.checkpoints.count(version) == 0) {
      listing.checkpoints[version] = CheckpointFiles{version, {std::move(object)}};
    }
  }
  for (auto& [version, by_count] : parts) {
    if (listing.checkpoints.count(version) > 0) continue;  // a single-file one is preferred
    bool found = false;
    std::vector<std::string> missing;
    for (auto& [count, by_part] : by_count) {
      if (static_cast<int>(by_part.size()) == count) {
        CheckpointFiles files{version, {}};
        for (auto& [part, object] : by_part) files.files.push_back(std::move(object));
        listing.checkpoints[version] = std::move(files);
        found = true;
        break;
      }
      for (int part = 1; part <= count; ++part) {
        if (by_part.count(part) == 0) missing.push_back(CheckpointPartKey(version, part, count));
      }
    }
    if (!found) listing.incomplete_checkpoints[version] = std::move(missing);
  }
  return listing;
}

Result<std::vector<Action>> DeltaLog::ReadCommit(int64_t version) const {
  std::string key = CommitKey(version);
  auto text = store_->Get(key);
  if (!text.ok()) {
    if (text.status().IsNotFound()) {
      return Status::NotFound("commit file " + key + " of '" + table_uri_ + "' does not exist");
    }
    return text.status().WithContext("reading " + key);
  }
  return ParseCommit(*text, key);
}

Result<int64_t> DeltaLog::LatestVersion() const {
  NL_ASSIGN_OR_RETURN(auto last, ReadLastCheckpoint());
  NL_ASSIGN_OR_RETURN(LogListing listing, List(last ? std::optional<int64_t>(last->version)
                                                     : std::nullopt));
  auto latest = listing.LatestVersion();
  if (!latest && last) {
    NL_ASSIGN_OR_RETURN(listing, List());
    latest = listing.LatestVersion();
  }
  if (!latest) return Status::NotFound("no Delta table at '" + table_uri_ + "'");
  return *latest;
}

Status DeltaLog::ReplayCommits(const LogListing& listing, int64_t from, int64_t to,
                               LogReplay* replay) const {
  for (int64_t v = from; v <= to; ++v) {
    if (listing.commits.count(v) == 0) {
      return Status::Corrupt("Delta log of '" + table_uri_ + "' is missing commit " +
                             CommitKey(v) + " (needed for version " + std::to_string(to) + ")");
    }
  }
  // Fetch a window of commit files concurrently (object store latency dominates), then apply
  // them strictly in version order.
  constexpr int64_t kWindow = 8;
  for (int64_t start = from; start <= to; start += kWindow) {
    int64_t end = std::min(to, start + kWindow - 1);
    std::vector<std::future<Result<std::string>>> fetches;
    for (int64_t v = start; v <= end; ++v) {
      if (end == start) break;
      fetches.push_back(std::async(std::launch::async,
                                   [this, v] { return store_->Get(CommitKey(v)); }));
    }
    for (int64_t v = start; v <= end; ++v) {
      Result<std::string> text = fetches.empty() ? store_->Get(CommitKey(v))
                                                 : fetches[v - start].get();
      if (!text.ok()) {
        if (text.status().IsNotFound()) {
          return Status::Corrupt("commit file " + CommitKey(v) + " of '" + table_uri_ +
                                 "' disappeared while reading the log");
        }
        return text.status().WithContext("reading " + CommitKey(v));
      }
      NL_ASSIGN_OR_RETURN(std::vector<Action> actions, ParseCommit(*text, CommitKey(v)));
      NL_RETURN_NOT_OK(replay->ApplyCommit(v, actions, listing.commits.at(v).modified_ms));
    }
  }
  return Status::OK();
}

Result<std::vector<Action>> DeltaLog::ReadCheckpoint(const CheckpointFiles& checkpoint,
                                                     bool resolve_sidecars) const {
  if (checkpoint.files.empty()) return std::vector<Action>{};
  const std::string& key = checkpoint.files.front().key;
  std::vector<Action> actions;
  if (checkpoint.files.size() == 1 && key.ends_with(".json")) {
    auto text = store_->Get(key);
    if (!text.ok()) {
      if (text.status().IsNotFound()) {
        return Status::Corrupt("checkpoint file " + key + " disappeared while reading the log");
      }
      return text.status().WithContext("reading " + key);
    }
    NL_ASSIGN_OR_RETURN(actions, ParseCommit(*text, key));
  } else {
    if (!checkpoint_reader_) {
      return Status::Internal("the Delta log needs a checkpoint reader to load version " +
                              std::to_string(checkpoint.version));
    }
    NL_ASSIGN_OR_RETURN(actions, checkpoint_reader_(checkpoint));
  }
  if (!resolve_sidecars) return actions;

  // V2 spec: one checkpointMetadata of this version; file actions possibly in sidecars.
  CheckpointFiles sidecars{checkpoint.version, {}};
  bool has_checkpoint_metadata = false;
  std::vector<Action> state;
  state.reserve(actions.size());
  for (Action& action : actions) {
    if (const auto* unknown = std::get_if<UnknownAction>(&action)) {
      if (unknown->key == "sidecar") {
        auto file = SidecarFile(unknown->value);
        if (!file.ok()) return file.status().WithContext("checkpoint " + key);
        sidecars.files.push_back(std::move(file).value());
        continue;
      }
      if (unknown->key == "checkpointMetadata") {
        auto version = unknown->value.is_object() ? unknown->value.find("version")
                                                  : unknown->value.end();
        if (version == unknown->value.end() || !version->is_number_integer() ||
            version->get<int64_t>() != checkpoint.version) {
          return Status::Corrupt("checkpoint " + key + " has a checkpointMetadata action " +
                                 unknown->value.dump() + " that does not name version " +
                                 std::to_string(checkpoint.version));
        }
        has_checkpoint_metadata = true;
        continue;
      }
    }
    state.push_back(std::move(action));
  }
  bool uuid_named = ParseLogFileName(key).kind == LogFileName::Kind::kUuidCheckpoint;
  if ((uuid_named || !sidecars.files.empty()) && !has_checkpoint_metadata) {
    return Status::Corrupt("V2 checkpoint " + key + " has no checkpointMetadata action");
  }
  if (sidecars.files.empty()) return state;
  if (!checkpoint_reader_) {
    return Status::Internal("the Delta log needs a checkpoint reader to read the sidecars of " +
                            key);
  }
  auto file_actions = checkpoint_reader_(sidecars);
  if (!file_actions.ok()) {
    // Name a missing sidecar rather than the reader's message when that is the cause.
    for (const auto& sidecar : sidecars.files) {
      auto head = store_->Head(sidecar.key);
      if (!head.ok() && head.status().IsNotFound()) {
        return Status::Corrupt("checkpoint " + key + " names sidecar " + sidecar.key +
                               ", which does not exist");
      }
    }
    return file_actions.status().WithContext("reading the sidecars of checkpoint " + key);
  }
  for (Action& action : *file_actions) {
    if (!std::holds_alternative<AddFile>(action) && !std::holds_alternative<RemoveFile>(action)) {
      return Status::Corrupt("a sidecar of checkpoint " + key +
                             " holds an action other than add or remove");
    }
    state.push_back(std::move(action));
  }
  return state;
}

Result<std::shared_ptr<const Snapshot>> DeltaLog::Build(const LogListing& listing,
                                                        const CheckpointFiles* checkpoint,
                                                        int64_t version) const {
  LogReplay replay;
  int64_t next = 0;
  if (checkpoint != nullptr) {
    auto actions = ReadCheckpoint(*checkpoint);
    if (!actions.ok()) {
      return actions.status().WithContext("reading checkpoint " + checkpoint->files.front().key);
    }
    NL_RETURN_NOT_OK(replay.ApplyCheckpoint(checkpoint->version, *actions));
    next = checkpoint->version + 1;
  }
  NL_RETURN_NOT_OK(ReplayCommits(listing, next, version, &replay));
  NL_ASSIGN_OR_RETURN(Snapshot snapshot, replay.Finish(table_uri_));
  return std::shared_ptr<const Snapshot>(std::make_shared<Snapshot>(std::move(snapshot)));
}

Result<std::shared_ptr<const Snapshot>> DeltaLog::LoadSnapshot(
    std::optional<int64_t> version) const {
  if (version && *version < 0) {
    return Status::Invalid("version " + std::to_string(*version) + " is negative");
  }
  NL_ASSIGN_OR_RETURN(auto last, ReadLastCheckpoint());
  bool from_last = last && (!version || *version >= last->version);
  NL_ASSIGN_OR_RETURN(LogListing listing,
                      List(from_last ? std::optional<int64_t>(last->version) : std::nullopt));
  if (last && from_last) {
    auto incomplete = listing.incomplete_checkpoints.find(last->version);
    if (incomplete != listing.incomplete_checkpoints.end()) {
      return Status::Corrupt("_delta_log/_last_checkpoint points to version " +
                             std::to_string(last->version) + " but checkpoint part " +
                             incomplete->second.front() + " is missing");
    }
    if (listing.checkpoints.count(last->version) == 0) {
      std::string expected = last->parts && *last->parts > 1
                                 ? CheckpointPartKey(last->version, 1, int(*last->parts))
                                 : CheckpointKey(last->version);
      return Status::Corrupt("_delta_log/_last_checkpoint points to version " +
                             std::to_string(last->version) + " but checkpoint file " + expected +
                             " is missing");
    }
  }
  auto latest = listing.LatestVersion();
  if (!latest) return Status::NotFound("no Delta table at '" + table_uri_ + "'");
  int64_t target = version.value_or(*latest);
  if (target > *latest) {
    return Status::NotFound("version " + std::to_string(target) + " of '" + table_uri_ +
                            "' does not exist (latest is " + std::to_string(*latest) + ")");
  }
  const CheckpointFiles* checkpoint = listing.CheckpointAtOrBefore(target);
  if (checkpoint == nullptr && listing.commits.count(0) == 0) {
    auto earliest = listing.EarliestReconstructableVersion();
    if (!earliest) {
      return Status::Corrupt("Delta log of '" + table_uri_ + "' has neither " + CommitKey(0) +
                             " nor a checkpoint");
    }
    return Status::Invalid("version " + std::to_string(target) + " of '" + table_uri_ +
                           "' is before the earliest reconstructable version " +
                           std::to_string(*earliest) + " (older log entries were cleaned up)");
  }
  return Build(listing, checkpoint, target);
}

Result<std::shared_ptr<const Snapshot>> DeltaLog::Update(std::shared_ptr<const Snapshot> base,
                                                         std::optional<int64_t> version) const {
  NL_ASSIGN_OR_RETURN(LogListing listing, List(base->version + 1));
  auto latest = listing.commits.empty() ? base->version : listing.commits.rbegin()->first;
  int64_t target = version.value_or(latest);
  if (target < base->version) return LoadSnapshot(target);
  if (target == base->version) return base;
  if (target > latest) {
    return Status::NotFound("version " + std::to_string(target) + " of '" + table_uri_ +
                            "' does not exist (latest is " + std::to_string(latest) + ")");
  }
  LogReplay replay(*base);
  NL_RETURN_NOT_OK(ReplayCommits(listing, base->version + 1, target, &replay));
  NL_ASSIGN_OR_RETURN(Snapshot snapshot, replay.Finish(table_uri_));
  return std::shared_ptr<const Snapshot>(std::make_shared<Snapshot>(std::move(snapshot)));
}

Result<int64_t> DeltaLog::CommitTimestamp(int64_t version, const storage::ObjectInfo& info) const {
  NL_ASSIGN_OR_RETURN(std::vector<Action> actions, ReadCommit(version));
  for (const Action& action : actions) {
    if (const auto* commit_info = std::get_if<CommitInfo>(&action)) {
      if (auto ict = commit_info->InCommitTimestamp()) return *ict;
      if (auto timestamp = commit_info->Timestamp()) return *timestamp;
    }
  }
  return info.modified_ms;
}

Result<int64_t> DeltaLog::VersionAtTimestamp(int64_t timestamp_ms) const {
  NL_ASSIGN_OR_RETURN(LogListing listing, List());
  auto latest = listing.LatestVersion();
  if (!latest) return Status::NotFound("no Delta table at '" + table_uri_ + "'");
  auto earliest = listing.EarliestReconstructableVersion();
  if (!earliest) {
    return Status::Corrupt("Delta log of '" + table_uri_ + "' has neither " + CommitKey(0) +
                           " nor a checkpoint");
  }
  // Candidate versions: commits from the earliest reconstructable version on.
  std::vector<std::pair<int64_t, const storage::ObjectInfo*>> candidates;
  for (const auto& [version, info] : listing.commits) {
    if (version >= *earliest) candidates.emplace_back(version, &info);
  }
  if (candidates.empty() || candidates.front().first != *earliest) {
    // The earliest checkpoint's own commit file was cleaned up: use the checkpoint's time.
    const auto& files = listing.checkpoints.at(*earliest).files;
    candidates.insert(candidates.begin(), {*earliest, &files.front()});
  }
  std::map<int64_t, int64_t> cache;
  auto timestamp_of = [&](size_t index) -> Result<int64_t> {
    auto [version, info] = candidates[index];
    auto it = cache.find(version);
    if (it != cache.end()) return it->second;
    int64_t ts = info->modified_ms;
    if (listing.commits.count(version) > 0) {
      NL_ASSIGN_OR_RETURN(ts, CommitTimestamp(version, *info));
    }
    cache[version] = ts;
    return ts;
  };
  NL_ASSIGN_OR_RETURN(int64_t first, timestamp_of(0));
  if (timestamp_ms < first) {
    return Status::Invalid("timestamp " + FormatIsoMillis(timestamp_ms) + " is before the earliest " +
                           "available version " + std::to_string(candidates.front().first) +
                           " of '" + table_uri_ + "' (committed at " + FormatIsoMillis(first) + ")");
  }
  // Binary search for the last candidate with timestamp <= T (commit timestamps increase).
  size_t low = 0;
  size_t high = candidates.size() - 1;
  while (low < high) {
    size_t mid = low + (high - low + 1) / 2;
    NL_ASSIGN_OR_RETURN(int64_t ts, timestamp_of(mid));
    if (ts <= timestamp_ms) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return candidates[low].first;
}

Result<std::shared_ptr<const Snapshot>> DeltaLog::LoadSnapshotAtTimestamp(
    int64_t timestamp_ms) const {
  NL_ASSIGN_OR_RETURN(int64_t version, VersionAtTimestamp(timestamp_ms));
  return LoadSnapshot(version);
}

Result<std::vector<CommitRecord>> DeltaLog::History(int64_t limit) const {
  NL_ASSIGN_OR_RETURN(LogListing listing, List());
  if (listing.commits.empty() && listing.checkpoints.empty()) {
    return Status::NotFound("no Delta table at '" + table_uri_ + "'");
  }
  std::vector<CommitRecord> records;
  for (auto it = listing.commits.rbegin(); it != listing.commits.rend(); ++it) {
    if (limit > 0 && static_cast<int64_t>(records.size()) >= limit) break;
    CommitRecord record;
    record.version = it->first;
    record.timestamp_ms = it->second.modified_ms;
    NL_ASSIGN_OR_RETURN(std::vector<Action> actions, ReadCommit(it->first));
    for (const Action& action : actions) {
      if (const auto* info = std::get_if<CommitInfo>(&action)) {
        record.info = *info;
        if (auto ict = info->InCommitTimestamp()) {
          record.timestamp_ms = *ict;
        } else if (auto ts = info->Timestamp()) {
          record.timestamp_ms = *ts;
        }
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace neuralake::delta
