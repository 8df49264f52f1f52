// Status: the error value every Neuralake API returns instead of throwing.
//
// A Status is either OK or carries a code from a small fixed set plus a human message. Codes map
// one-to-one onto CLI exit codes and HTTP statuses (see ExitCodeFor / HttpStatusFor). `Conflict`
// is a real, retryable outcome (a lost put-if-absent race, a Delta commit conflict), not a bug.
// Status is a plain value: cheap to copy when OK, safe to pass between threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace neuralake {

enum class StatusCode : int {
  kOk = 0,
  kInvalid,      // bad input: arguments, config, SQL, schema mismatch
  kNotFound,     // missing object, table, bucket, column
  kIOError,      // transport or filesystem failure (possibly transient)
  kCorrupt,      // data at rest does not parse or violates its format
  kConflict,     // lost an optimistic-concurrency race; caller may retry
  kUnsupported,  // valid but not implemented (e.g. an unknown Delta reader feature)
  kCancelled,    // stopped by a signal, timeout or caller
  kInternal,     // a bug: an invariant did not hold
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status Invalid(std::string message) { return {StatusCode::kInvalid, std::move(message)}; }
  static Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
  static Status IOError(std::string message) { return {StatusCode::kIOError, std::move(message)}; }
  static Status Corrupt(std::string message) { return {StatusCode::kCorrupt, std::move(message)}; }
  static Status Conflict(std::string message) { return {StatusCode::kConflict, std::move(message)}; }
  static Status Unsupported(std::string message) {
    return {StatusCode::kUnsupported, std::move(message)};
  }
  static Status Cancelled(std::string message) {
    return {StatusCode::kCancelled, std::move(message)};
  }
  static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsInvalid() const { return code_ == StatusCode::kInvalid; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsCorrupt() const { return code_ == StatusCode::kCorrupt; }
  bool IsConflict() const { return code_ == StatusCode::kConflict; }
  bool IsUnsupported() const { return code_ == StatusCode::kUnsupported; }
  bool IsCancelled() const { return code_ == StatusCode::kCancelled; }

  // "NotFound: object 'x' does not exist".
  std::string ToString() const;

  // Returns a copy whose message is prefixed by `context` ("reading _delta_log/3.json: ...").
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Process exit code for a CLI command that ended with `status` (0 when OK, 1 otherwise; 2 is
// reserved for usage errors reported by the argument parser).
int ExitCodeFor(const Status& status);

// HTTP status for an API response that ended with `status`.
int HttpStatusFor(const Status& status);

}  // namespace neuralake

#define NL_CONCAT_IMPL(a, b) a##b
#define NL_CONCAT(a, b) NL_CONCAT_IMPL(a, b)

// Evaluates `expr` (a Status) and returns it from the enclosing function when not OK.
#define NL_RETURN_NOT_OK(expr)                      \
  do {                                              \
    ::neuralake::Status _nl_status = (expr);        \
    if (!_nl_status.ok()) return _nl_status;        \
  } while (false)
