// `neuralake table constraint add URI NAME "EXPR"`: checks every row of the latest version, then
//     commits the constraint (ADD CONSTRAINT; the protocol raised to writer version 3 or the
//     checkConstraints feature when needed).
// `neuralake table constraint drop URI NAME [--if-exists]`: DROP CONSTRAINT.
// `neuralake table constraint list URI`: the table's CHECK constraints and NOT NULL columns.
//
// Every later write to the table (create, append, overwrite, ingest, writer service, MV refresh)
// enforces them; see delta/constraints.h.
#include "neuralake/cli/constraint_commands.h"

#include <memory>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "neuralake/delta/constraints.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"

namespace neuralake::cli {
namespace {

struct ConstraintFlags {
  std::string uri;
  std::string name;
  std::string expression;
  bool if_exists = false;
};

Result<std::unique_ptr<delta::DeltaTable>> OpenExisting(const GlobalOptions& global,
                                                        const std::string& uri) {
  delta::TableOptions options;
  options.storage = global.storage;
  NL_ASSIGN_OR_RETURN(auto table, delta::DeltaTable::Open(uri, options));
  NL_ASSIGN_OR_RETURN(bool exists, table->Exists());
  if (!exists) return Status::NotFound("'" + uri + "' is not a Delta table (no _delta_log/)");
  return table;
}

Status AddCommand(const GlobalOptions& global, const ConstraintFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenExisting(global, flags.uri));
  NL_ASSIGN_OR_RETURN(delta::ConstraintChange change,
                      delta::AddConstraint(*table, flags.name, flags.expression));
  out << "added CHECK constraint " << delta::ConstraintName(flags.name) << " (" << flags.expression
      << "), " << change.rows_checked << " existing row" << (change.rows_checked == 1 ? "" : "s")
      << " checked";
  if (change.protocol_upgraded) out << ", protocol upgraded";
  out << ": " << table->uri() << " version " << change.version << "\n";
  return Status::OK();
}

Status DropCommand(const GlobalOptions& global, const ConstraintFlags& flags, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenExisting(global, flags.uri));
  NL_ASSIGN_OR_RETURN(delta::ConstraintChange change,
                      delta::DropConstraint(*table, flags.name, flags.if_exists));
  if (!change.committed) {
    out << "no CHECK constraint " << delta::ConstraintName(flags.name) << ": " << table->uri()
        << " unchanged at version " << change.version << "\n";
    return Status::OK();
  }
  out << "dropped CHECK constraint " << delta::ConstraintName(flags.name) << ": " << table->uri()
      << " version " << change.version << "\n";
  return Status::OK();
}

void PrintNotNull(const std::vector<delta::StructField>& fields, const std::string& parent,
                  std::ostream& out) {
  for (const auto& field : fields) {
    std::string name = parent.empty() ? field.name : parent + "." + field.name;
    if (!field.nullable) out << "NOT NULL  " << name << "\n";
    if (field.type.kind() == delta::DataType::Kind::kStruct) {
      PrintNotNull(field.type.fields(), name, out);
    }
  }
}

Status ListCommand(const GlobalOptions& global, const std::string& uri, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto table, OpenExisting(global, uri));
  NL_ASSIGN_OR_RETURN(auto snapshot, table->LoadSnapshot());
  auto constraints = delta::CheckConstraintsOf(snapshot->metadata.configuration);
  for (const auto& constraint : constraints) {
    out << "CHECK     " << constraint.name << "  " << constraint.expression << "\n";
  }
  PrintNotNull(snapshot->schema.fields, "", out);
  out << constraints.size() << " CHECK constraint" << (constraints.size() == 1 ? "" : "s")
      << " at version " << snapshot->version << " (protocol " << snapshot->protocol.min_reader_version
      << "/" << snapshot->protocol.min_writer_version << ")\n";
  return Status::OK();
}

}  // namespace

void AddConstraintCommands(CLI::App* table, CommandContext& context) {
  CLI::App* group = table->add_subcommand(
      "constraint", "CHECK constraints: add (validating existing rows), drop, list");
  group->require_subcommand(1);

  auto add_flags = std::make_shared<ConstraintFlags>();
  CLI::App* add = group->add_subcommand("add", "Add a CHECK constraint (ALTER TABLE ADD CONSTRAINT)");
  add->add_option("uri", add_flags->uri, "table location")->required();
  add->add_option("name", add_flags->name, "constraint name (stored lowercased)")->required();
  add->add_option("expression", add_flags->expression, "SQL boolean expression, e.g. \"id > 0\"")
      ->required();
  add->callback([&context, add_flags] {
    context.action = [&context, add_flags] {
      return AddCommand(context.options, *add_flags, *context.out);
    };
  });

  auto drop_flags = std::make_shared<ConstraintFlags>();
  CLI::App* drop = group->add_subcommand("drop", "Drop a CHECK constraint");
  drop->add_option("uri", drop_flags->uri, "table location")->required();
  drop->add_option("name", drop_flags->name, "constraint name")->required();
  drop->add_flag("--if-exists", drop_flags->if_exists, "succeed when there is no such constraint");
  drop->callback([&context, drop_flags] {
    context.action = [&context, drop_flags] {
      return DropCommand(context.options, *drop_flags, *context.out);
    };
  });

  auto list_uri = std::make_shared<std::string>();
  CLI::App* list = group->add_subcommand("list", "CHECK constraints and NOT NULL columns");
  list->add_option("uri", *list_uri, "table location")->required();
  list->callback([&context, list_uri] {
    context.action = [&context, list_uri] {
      return ListCommand(context.options, *list_uri, *context.out);
    };
  });
}

}  // namespace neuralake::cli
