#include "neuralake/cli/output.h"

#include <algorithm>
#include <cctype>
#include <ostream>

#include <nlohmann/json.hpp>

namespace neuralake::cli {

std::string CsvField(const std::optional<std::string>& value) {
  if (!value) return "";
  const std::string& text = *value;
  bool quote = text.empty() || text.find_first_of(",\"\r\n") != std::string::npos ||
               text.front() == ' ' || text.back() == ' ';
  if (!quote) return text;
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

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
  for (size_t i = 0; i < rows.columns.size(); ++i) {
    out << (i > 0 ? "," : "") << CsvField(rows.columns[i].name);
  }
  out << "\n";
  for (const auto& row : rows.rows) {
    for (size_t i = 0; i < row.size(); ++i) out << (i > 0 ? "," : "") << CsvField(row[i]);
    out << "\n";
  }
}

namespace {

enum class JsonKind { kNumber, kBool, kText };

JsonKind KindOf(const std::string& type) {
  static const char* kNumbers[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                   "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
                                   "FLOAT", "DOUBLE", "DECIMAL"};
  if (type == "BOOLEAN") return JsonKind::kBool;
  for (const char* number : kNumbers) {
    if (type.rfind(number, 0) == 0) return JsonKind::kNumber;
  }
  return JsonKind::kText;
}

}  // namespace

void PrintJsonLines(const engine::Table& rows, std::ostream& out) {
  std::vector<JsonKind> kinds;
  for (const auto& column : rows.columns) kinds.push_back(KindOf(column.type));
  for (const auto& row : rows.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t i = 0; i < row.size() && i < rows.columns.size(); ++i) {
      const std::string& name = rows.columns[i].name;
      if (!row[i]) {
        object[name] = nullptr;
        continue;
      }
      const std::string& text = *row[i];
      switch (kinds[i]) {
        case JsonKind::kBool:
          object[name] = text == "true";
          break;
        case JsonKind::kNumber: {
          // Keep integers exact; non-finite doubles become strings.
          auto parsed = nlohmann::json::parse(text, nullptr, false);
          if (parsed.is_number()) {
            object[name] = parsed;
          } else {
            object[name] = text;
          }
          break;
        }
        case JsonKind::kText:
          object[name] = text;
          break;
      }
    }
    out << object.dump() << "\n";
  }
}

}  // namespace neuralake::cli
