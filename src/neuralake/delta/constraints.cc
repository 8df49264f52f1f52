// CHECK constraints and NOT NULL fields: the one-scan check of a write's rows, and
// ADD / DROP CONSTRAINT commits. See constraints.h for the semantics.

#include "neuralake/delta/constraints.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "neuralake/delta/append_committer.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/writer_internal.h"
#include "neuralake/engine/lake_scan.h"

namespace neuralake::delta {
namespace {

using engine::Engine;

// One rule checked per row: a violation condition over the projected rows.
struct Rule {
  std::string description;  // "CHECK constraint positive_id (id > 0)"
  std::string violated;     // SQL, true for a violating row
};

std::string Quote(std::string_view name) { return Engine::QuoteIdentifier(name); }

// NOT NULL rules for `fields` under the struct path `parents` (quoted SQL parts).
void NotNullRules(const std::vector<StructField>& fields, const std::vector<std::string>& parents,
                  const std::string& dotted_parent, bool skip_top_level,
                  std::vector<Rule>* rules) {
  for (const auto& field : fields) {
    std::vector<std::string> path = parents;
    path.push_back(Quote(field.name));
    std::string dotted = dotted_parent.empty() ? field.name : dotted_parent + "." + field.name;
    std::string access;
    for (const auto& part : path) access += (access.empty() ? "" : ".") + part;
    if (!field.nullable && !(skip_top_level && parents.empty())) {
      // Only where every enclosing struct is present (a NULL struct has no NULL fields).
      std::string condition;
      std::string prefix;
      for (const auto& parent : parents) {
        prefix += (prefix.empty() ? "" : ".") + parent;
        condition += prefix + " IS NOT NULL AND ";
      }
      rules->push_back({"NOT NULL constraint on column " + dotted, condition + access + " IS NULL"});
    }
    if (field.type.kind() == DataType::Kind::kStruct) {
      NotNullRules(field.type.fields(), path, dotted, skip_top_level, rules);
    }
  }
}

// The rows as the table would hold them: every table column by name, cast to its type.
std::string ProjectionSql(const std::string& relation, const Schema& source_schema,
                          const Schema& target) {
  std::string select;
  for (const auto& field : target.fields) {
    const StructField* from = source_schema.Find(field.name);
    auto type = DataTypeToDuckDb(field.type);
    std::string value = from != nullptr ? "__nl_source." + Quote(from->name) : "NULL";
    if (type.ok()) value = "CAST(" + value + " AS " + *type + ")";
    select += (select.empty() ? "" : ", ") + value + " AS " + Quote(field.name);
  }
  return "(SELECT " + select + " FROM " + relation + " AS __nl_source) AS __nl_rows";
}

// "id=-1, name=x" for the first row of `table` (values cut at 60 characters).
std::string ExampleRow(const engine::Table& table) {
  if (table.rows.empty()) return "";
  std::string text;
  for (size_t i = 0; i < table.columns.size() && i < table.rows[0].size(); ++i) {
    std::string value = table.rows[0][i].value_or("NULL");
    if (value.size() > 60) value = value.substr(0, 57) + "...";
    std::replace(value.begin(), value.end(), '\n', ' ');
    text += (text.empty() ? "" : ", ") + table.columns[i].name + "=" + value;
  }
  return text;
}

Status CheckRules(Engine& engine, const std::string& rows, const std::vector<Rule>& rules) {
  std::string counts;
  for (size_t i = 0; i < rules.size(); ++i) {
    counts += (i == 0 ? "" : ", ") + std::string("count(*) FILTER (WHERE ") + rules[i].violated +
              ")";
  }
  auto counted = engine.Query("SELECT " + counts + " FROM " + rows);
  if (!counted.ok()) {
    // Find the rule that does not evaluate, to name it.
    for (const auto& rule : rules) {
      auto one = engine.Query("SELECT count(*) FILTER (WHERE " + rule.violated + ") FROM " + rows);
      if (!one.ok()) {
        return Status::Invalid("cannot evaluate " + rule.description + ": " +
                               one.status().message());
      }
    }
    return counted.status();
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& cell = counted->rows.at(0).at(i);
    int64_t violations = cell ? std::stoll(*cell) : 0;
    if (violations == 0) continue;
    std::string message = rules[i].description + " violated by " + std::to_string(violations) +
                          " row" + (violations == 1 ? "" : "s");
    auto example =
        engine.Query("SELECT * FROM " + rows + " WHERE " + rules[i].violated + " LIMIT 1");
    if (example.ok() && !example->rows.empty()) message += ", e.g. " + ExampleRow(*example);
    return Status::Invalid(message);
  }
  return Status::OK();
}

bool AnyNestedNotNull(const std::vector<StructField>& fields, bool top_level) {
  for (const auto& field : fields) {
    if (!top_level && !field.nullable) return true;
    if (field.type.kind() == DataType::Kind::kStruct &&
        AnyNestedNotNull(field.type.fields(), false)) {
      return true;
    }
  }
  return false;
}

// The configuration entry of constraint `lowered`, matching names case-insensitively (Spark stores
// them lowercased, delta-rs as given).
std::map<std::string, std::string>::const_iterator FindConstraint(
    const std::map<std::string, std::string>& config, const std::string& lowered) {
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (it->first.size() > kConstraintPropertyPrefix.size() &&
        it->first.rfind(kConstraintPropertyPrefix, 0) == 0 &&
        write_internal::Lower(it->first.substr(kConstraintPropertyPrefix.size())) == lowered) {
      return it;
    }
  }
  return config.end();
}

Result<std::shared_ptr<const Snapshot>> LatestWritable(DeltaTable& table) {
  NL_ASSIGN_OR_RETURN(auto snapshot, table.LoadSnapshot());
  NL_RETURN_NOT_OK(
      CheckWriteSupported(snapshot->protocol, snapshot->metadata, snapshot->schema));
  return snapshot;
}

// Commits `metadata` (and `protocol` when set) reading the whole table.
Result<ConstraintChange> CommitConstraintChange(DeltaTable& table,
                                                std::shared_ptr<const Snapshot> snapshot,
                                                const std::optional<Protocol>& protocol,
                                                const Metadata& metadata,
                                                const std::string& operation,
                                                const nlohmann::json& parameters,
                                                bool read_whole_table,
                                                const CommitOptions& commit) {
  Transaction txn(&table.log(), snapshot);
  txn.SetOperation(operation, parameters);
  // ADD CONSTRAINT validated the rows it read: a concurrent data change conflicts.
  if (read_whole_table) txn.ReadWholeTable();
  if (protocol) txn.AddAction(*protocol);
  txn.AddAction(metadata);
  NL_ASSIGN_OR_RETURN(CommitResult result, AppendCommitter(&table).Commit(txn, commit));
  ConstraintChange change;
  change.version = result.version;
  change.committed = !result.skipped;
  change.protocol_upgraded = protocol.has_value();
  return change;
}

}  // namespace

std::vector<CheckConstraint> CheckConstraintsOf(const std::map<std::string, std::string>& config) {
  std::vector<CheckConstraint> constraints;
  for (const auto& [key, value] : config) {
    if (key.size() > kConstraintPropertyPrefix.size() &&
        key.rfind(kConstraintPropertyPrefix, 0) == 0) {
      constraints.push_back({key.substr(kConstraintPropertyPrefix.size()), value});
    }
  }
  return constraints;
}

std::string ConstraintSql(std::string_view expression) {
  std::string sql;
  char quote = 0;  // inside a '...' or "..." string literal, or a `...` identifier
  for (size_t i = 0; i < expression.size(); ++i) {
    char c = expression[i];
    if (quote == 0) {
      if (c == '`') {
        quote = '`';
        sql += '"';
        continue;
      }
      if (c == '\'') quote = '\'';
      sql += c;
      continue;
    }
    if (quote == '`') {
      if (c == '`' && i + 1 < expression.size() && expression[i + 1] == '`') {
        sql += '`';  // `` inside a quoted identifier is one backtick
        ++i;
      } else if (c == '`') {
        quote = 0;
        sql += '"';
      } else {
        if (c == '"') sql += '"';  // doubled inside a SQL identifier
        sql += c;
      }
      continue;
    }
    if (c == '\\' && i + 1 < expression.size()) {  // Spark escapes inside string literals
      sql += c;
      sql += expression[++i];
      continue;
    }
    if (c == quote) quote = 0;
    sql += c;
  }
  return sql;
}

namespace {

Status CollectInvariants(const std::vector<StructField>& fields, const std::string& parent,
                         std::vector<CheckConstraint>* invariants) {
  for (const auto& field : fields) {
    std::string path = parent.empty() ? field.name : parent + "." + field.name;
    auto it = field.metadata.find("delta.invariants");
    if (it != field.metadata.end()) {
      try {
        nlohmann::json parsed = it->is_string() ? nlohmann::json::parse(it->get<std::string>())
                                                : *it;
        invariants->push_back(
            {"invariant on " + path, parsed.at("expression").at("expression").get<std::string>()});
      } catch (const std::exception& error) {
        return Status::Corrupt("column " + path + ": delta.invariants is not " +
                               "{\"expression\": {\"expression\": \"...\"}}: " + error.what());
      }
    }
    if (field.type.kind() == DataType::Kind::kStruct) {
      NL_RETURN_NOT_OK(CollectInvariants(field.type.fields(), path, invariants));
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<CheckConstraint>> InvariantsOf(const Schema& schema) {
  std::vector<CheckConstraint> invariants;
  NL_RETURN_NOT_OK(CollectInvariants(schema.fields, "", &invariants));
  return invariants;
}

std::string ConstraintName(std::string_view name) { return write_internal::Lower(name); }

bool HasNestedNotNull(const Schema& target) { return AnyNestedNotNull(target.fields, true); }

Status CheckRowsSatisfyConstraints(Engine& engine, const engine::WriteSource& source,
                                   const Schema& source_schema, const Schema& target,
                                   const std::vector<CheckConstraint>& constraints,
                                   bool check_top_level_not_null) {
  std::vector<Rule> rules;
  NotNullRules(target.fields, {}, "", !check_top_level_not_null, &rules);
  for (const auto& constraint : constraints) {
    bool invariant = constraint.name.rfind("invariant on ", 0) == 0;
    rules.push_back({(invariant ? "" : "CHECK constraint ") + constraint.name + " (" +
                         constraint.expression + ")",
                     "NOT COALESCE((" + ConstraintSql(constraint.expression) + "), false)"});
  }
  if (rules.empty()) return Status::OK();
  return engine::WithSourceRelation(engine, source, [&](const std::string& relation) {
    return CheckRules(engine, ProjectionSql(relation, source_schema, target), rules);
  });
}

std::optional<Protocol> ProtocolWithCheckConstraints(const Protocol& protocol) {
  Protocol upgraded = protocol;
  if (protocol.min_writer_version == 7) {
    if (protocol.HasWriterFeature("checkConstraints")) return std::nullopt;
    std::vector<std::string> features = protocol.writer_features.value_or(std::vector<std::string>{});
    features.push_back("checkConstraints");
    upgraded.writer_features = features;
    return upgraded;
  }
  if (protocol.min_writer_version >= 3) return std::nullopt;
  upgraded.min_writer_version = 3;
  return upgraded;
}

Result<ConstraintChange> AddConstraint(DeltaTable& table, std::string_view name,
                                       std::string_view expression, const CommitOptions& commit) {
  std::string lowered = ConstraintName(name);
  if (lowered.empty() || lowered.find_first_of(" \t\n`'\"") != std::string::npos) {
    return Status::Invalid("invalid constraint name '" + std::string(name) + "'");
  }
  if (expression.find_first_not_of(" \t\n") == std::string::npos) {
    return Status::Invalid("constraint " + lowered + " needs an expression");
  }
  NL_ASSIGN_OR_RETURN(auto snapshot, LatestWritable(table));
  std::string key = std::string(kConstraintPropertyPrefix) + lowered;
  auto existing = FindConstraint(snapshot->metadata.configuration, lowered);
  if (existing != snapshot->metadata.configuration.end()) {
    return Status::Invalid("constraint '" + lowered + "' already exists as a CHECK constraint (" +
                           existing->second + "); drop it first");
  }
  NL_ASSIGN_OR_RETURN(Engine * engine, table.GetEngine());
  NL_ASSIGN_OR_RETURN(auto plan, BuildScanPlan(table, *snapshot));
  engine::RegisteredScanPlan registered(std::move(plan));
  auto rows = engine::WriteSource::FromQuery("SELECT * FROM " + registered.Relation());
  // The expression must be boolean over the table's columns.
  NL_RETURN_NOT_OK(engine::WithSourceRelation(*engine, rows, [&](const std::string& relation) {
    auto described = engine->Query("DESCRIBE SELECT (" + ConstraintSql(expression) +
                                   ") AS __nl_check FROM " + relation);
    if (!described.ok()) {
      return Status::Invalid("constraint " + lowered + " (" + std::string(expression) +
                             ") does not evaluate on the table: " + described.status().message());
    }
    int type_index = described->ColumnIndex("column_type");
    std::string type = described->rows.empty() || type_index < 0
                           ? ""
                           : described->rows[0][type_index].value_or("");
    if (type != "BOOLEAN") {
      return Status::Invalid("constraint " + lowered + " (" + std::string(expression) +
                             ") is of type " + type + ", not BOOLEAN");
    }
    return Status::OK();
  }));
  std::string subject = "the rows of " + table.uri() + " at version " +
                        std::to_string(snapshot->version) + " do not satisfy it";
  NL_RETURN_NOT_OK(CheckRowsSatisfyConstraints(*engine, rows, snapshot->schema, snapshot->schema,
                                               {{lowered, std::string(expression)}}, false)
                       .WithContext("cannot add the constraint, " + subject));
  Metadata metadata = snapshot->metadata;
  metadata.configuration[key] = std::string(expression);
  auto protocol = ProtocolWithCheckConstraints(snapshot->protocol);
  NL_ASSIGN_OR_RETURN(ConstraintChange change,
                      CommitConstraintChange(table, snapshot, protocol, metadata,
                                             "ADD CONSTRAINT",
                                             {{"name", lowered}, {"expr", std::string(expression)}},
                                             true, commit));
  for (const auto& file : snapshot->files) {
    change.rows_checked += std::max<int64_t>(NumRecords(file), 0);
  }
  return change;
}

Result<ConstraintChange> DropConstraint(DeltaTable& table, std::string_view name, bool if_exists,
                                        const CommitOptions& commit) {
  std::string lowered = ConstraintName(name);
  NL_ASSIGN_OR_RETURN(auto snapshot, LatestWritable(table));
  Metadata metadata = snapshot->metadata;
  auto existing = FindConstraint(metadata.configuration, lowered);
  if (existing == metadata.configuration.end()) {
    if (if_exists) {
      ConstraintChange change;
      change.version = snapshot->version;
      return change;
    }
    std::string names;
    for (const auto& constraint : CheckConstraintsOf(metadata.configuration)) {
      names += (names.empty() ? "" : ", ") + constraint.name;
    }
    return Status::NotFound("no CHECK constraint '" + lowered + "' on " + table.uri() +
                            " (constraints: " + (names.empty() ? "none" : names) + ")");
  }
  std::string expression = existing->second;
  metadata.configuration.erase(existing);
  return CommitConstraintChange(table, snapshot, std::nullopt, metadata, "DROP CONSTRAINT",
                                {{"name", lowered}, {"expr", expression}}, false, commit);
}

}  // namespace neuralake::delta
