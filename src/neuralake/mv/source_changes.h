// What happened to a source Delta table between the version a materialized view recorded and
// the version a refresh reads: only appends (the appended files), or the first change that is not
// an append (a delete, an overwrite, a schema change), which forces a full recompute.
//
// Thread safety: a pure function of the table's log; may be called from many threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neuralake/common/result.h"
#include "neuralake/delta/actions.h"
#include "neuralake/delta/snapshot.h"
#include "neuralake/delta/table.h"

namespace neuralake::mv {

struct SourceChanges {
  bool append_only = false;
  std::string reason;                 // when not append-only: "source demo.events had ..."
  std::vector<delta::AddFile> added;  // append-only: the appended files, as active in `to`
  int64_t commits = 0;                // commits in (from_version, to.version]
};

// Reads the commits after `from_version` up to `to.version`. Append-only when every commit only
// adds files with dataChange=true, or rewrites files without changing data (dataChange=false,
// e.g. OPTIMIZE) that were not among the appended ones. `name` names the source in reasons.
Result<SourceChanges> ChangesSince(const delta::DeltaTable& table, const delta::Snapshot& to,
                                   int64_t from_version, const std::string& name);

}  // namespace neuralake::mv
