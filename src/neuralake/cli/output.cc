#include "neuralake/cli/output.h"

#include <algorithm>
#include <cctype>
#include <ostream>

namespace neuralake::cli {

void PrintGrid(const engine::Table& rows, std::ostream& out) {
  std::vector<size_t> widths;
  for (const auto& column : rows.columns) {
    widths.push_back(std::max(column.name.size(), column.type.size()));
  }
  for (const auto& row : rows.rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i] ? row[i]->size() : 4);
    }
  }
  for (auto& width : widths) width = std::min<size_t>(width, 60);
  auto cell = [](const std::string& text, size_t width) {
    std::string shown = text.size() > width ? text.substr(0, width - 1) + "~" : text;
    return shown + std::string(width - shown.size(), ' ');
  };
  std::string separator = "+";
  for (size_t width : widths) separator += std::string(width + 2, '-') + "+";
  out << separator << "\n|";
  for (size_t i = 0; i < rows.columns.size(); ++i) {
    out << " " << cell(rows.columns[i].name, widths[i]) << " |";
  }
  out << "\n|";
  for (size_t i = 0; i < rows.columns.size(); ++i) {
    std::string type = rows.columns[i].type;
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out << " " << cell(type, widths[i]) << " |";
  }
  out << "\n" << separator << "\n";
  for (const auto& row : rows.rows) {
    out << "|";
    for (size_t i = 0; i < row.size(); ++i) out << " " << cell(row[i].value_or("NULL"), widths[i]) << " |";
    out << "\n";
  }
  out << separator << "\n";
}

void PrintCsv(const engine::Table& rows, std::ostream& out) {
  std::vector<std::optional<std::string>> header;
  for (const auto& name : engine::UniqueColumnNames(rows.columns)) header.emplace_back(name);
  out << engine::CsvLine(header);
  for (const auto& row : rows.rows) out << engine::CsvLine(row);
}

void PrintJsonLines(const engine::Table& rows, std::ostream& out) {
  std::vector<std::string> names = engine::UniqueColumnNames(rows.columns);
  for (const auto& row : rows.rows) out << engine::JsonObjectLine(names, row);
}

void PrintRows(const engine::Table& rows, const std::string& format, std::ostream& out) {
  if (format == "csv") {
    PrintCsv(rows, out);
  } else if (format == "json" || format == "ndjson") {
    PrintJsonLines(rows, out);
  } else {
    PrintGrid(rows, out);
  }
}

Result<std::string> CanonicalFormat(const std::string& format) {
  if (format == "table" || format == "csv" || format == "json" || format == "parquet") {
    return format;
  }
  if (format == "ndjson") return std::string("json");
  return Status::Invalid("unknown --format '" + format +
                         "' (table, csv, json, ndjson or parquet)");
}

Result<std::string> CanonicalFormat(const std::string& format, bool to_file) {
  NL_ASSIGN_OR_RETURN(std::string canonical, CanonicalFormat(format));
  if (to_file && canonical == "table") {
    return Status::Invalid("--output needs --format csv, json, ndjson or parquet");
  }
  if (!to_file && canonical == "parquet") {
    return Status::Invalid("--format parquet needs --output FILE");
  }
  return canonical;
}

engine::CellEncoding CellEncodingFor(const std::string& format) {
  if (format == "json" || format == "ndjson") return engine::CellEncoding::kJson;
  if (format == "csv") return engine::CellEncoding::kCsv;
  return engine::CellEncoding::kText;
}

}  // namespace neuralake::cli
