// Result<T>: a value of type T or the Status explaining why there is none.
//
// Use NL_ASSIGN_OR_RETURN to unwrap in functions that themselves return Status or Result.
// Accessing the value of a failed Result is a bug and aborts. Thread safety: a plain value type.
#pragma once

#include <cstdlib>
#include <cstdio>
#include <optional>
#include <utility>

#include "neuralake/common/status.h"

namespace neuralake {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("Result constructed from an OK Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    CheckOk();
    return *value_;
  }
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  T ValueOr(T fallback) && { return ok() ? std::move(*value_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void CheckOk() const {
    if (!value_.has_value()) {
      std::fprintf(stderr, "fatal: value() of failed Result: %s\n", status_.ToString().c_str());
      std::abort();
    }
  }

  Status status_;
  std::optional<T> value_;
};

}  // namespace neuralake

#define NL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

// `NL_ASSIGN_OR_RETURN(auto x, MakeX());` unwraps a Result or returns its Status.
#define NL_ASSIGN_OR_RETURN(lhs, rexpr) \
  NL_ASSIGN_OR_RETURN_IMPL(NL_CONCAT(_nl_result_, __LINE__), lhs, rexpr)
