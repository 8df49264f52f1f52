// Engine-internal: the DuckDB database behind an Engine and the one translation of DuckDB errors
// into Status, shared by the engine's source files (engine.cc, scan.cc). Includes DuckDB.
#pragma once

#include <exception>
#include <memory>

#include "duckdb.hpp"
#include "neuralake/common/status.h"
#include "neuralake/engine/engine.h"
#include "neuralake/engine/object_store_file_system.h"

namespace neuralake::engine {

class Engine::Impl {
 public:
  Impl(std::unique_ptr<duckdb::DuckDB> db, StoreOpener opener)
      : db(std::move(db)), opener(std::move(opener)) {}
  // The Impl of `engine` (a nested class may read the engine's private members).
  static Impl& Of(Engine& engine) { return *engine.impl_; }

  std::unique_ptr<duckdb::DuckDB> db;
  StoreOpener opener;
};

// The one place DuckDB's errors become Status: one line, the query position as (line, column);
// interrupts are Cancelled, everything else Invalid.
Status FromDuckDBError(const duckdb::ErrorData& error);

// A query parameter as a DuckDB value (strings as VARCHAR).
duckdb::Value ToDuckValue(const QueryParam& param);

// Runs `function` (returning Status), turning a DuckDB exception into its Status.
template <typename Function>
Status Guarded(Function&& function) {
  try {
    return function();
  } catch (const std::exception& exception) {
    return FromDuckDBError(duckdb::ErrorData(exception));
  }
}

}  // namespace neuralake::engine
