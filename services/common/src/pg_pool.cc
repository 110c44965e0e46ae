#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/pg.h"

#include <cstdio>

namespace cityops::common {
namespace {

// SQLSTATE classes that mean the server or the link went away.
bool IsConnectionState(std::string_view state) {
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

}  // namespace

absl::Status StatusFromPqxx(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("PostgreSQL connection lost: ", e.what()));
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("PostgreSQL commit outcome unknown: ", e.what()));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string state = sql->sqlstate();
    const std::string message =
        absl::StrCat("PostgreSQL error ", state.empty() ? "(no SQLSTATE)" : state, ": ", e.what());
    if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr || state == "23505") {
      return absl::AlreadyExistsError(message);
    }
    if (dynamic_cast<const pqxx::integrity_constraint_violation*>(&e) != nullptr || state.rfind("23", 0) == 0) {
      return absl::FailedPreconditionError(message);
    }
    if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr || state.rfind("40", 0) == 0) {
      return absl::AbortedError(message);
    }
    if (state == "57014") return absl::DeadlineExceededError(message);  // statement timeout / cancel
    if (IsConnectionState(state)) return absl::UnavailableError(message);
    return absl::InternalError(message);
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    return absl::AbortedError(absl::StrCat("PostgreSQL transaction rolled back: ", e.what()));
  }
  if (dynamic_cast<const pqxx::conversion_error*>(&e) != nullptr ||
      dynamic_cast<const pqxx::range_error*>(&e) != nullptr) {
    return absl::InternalError(absl::StrCat("PostgreSQL result conversion: ", e.what()));
  }
  return absl::InternalError(absl::StrCat("PostgreSQL: ", e.what()));
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Create(const std::string& dsn, const std::string& schema, int size) {
  if (size < 1) return absl::InvalidArgumentError("PostgreSQL pool size must be at least 1");
  if (schema.empty()) return absl::InvalidArgumentError("PostgreSQL pool needs a schema");
  std::unique_ptr<PgPool> pool(new PgPool(dsn, schema));
  for (int i = 0; i < size; ++i) {
    auto conn = pool->Connect();
    if (!conn.ok()) return conn.status();
    pool->idle_.push_back(*std::move(conn));
  }
  return pool;
}

PgPool::PgPool(std::string dsn, std::string schema) : dsn_(std::move(dsn)), schema_(std::move(schema)) {}

PgPool::~PgPool() = default;

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Connect() {
  try {
    auto conn = std::make_unique<pqxx::connection>(dsn_);
    // Through set_variable, so that libpqxx sets it again if it reconnects.
    conn->set_variable("search_path", conn->quote_name(schema_));
    return conn;
  } catch (const pqxx::broken_connection& e) {
    // libpq's message names host and port, never the password.
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", e.what()));
  } catch (const std::exception& e) {
    return StatusFromPqxx(e);
  }
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Acquire(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  while (true) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->is_open()) return conn;
      ++missing_;  // closed behind our back: replace it below
    }
    if (missing_ > 0) {
      --missing_;
      lock.unlock();
      auto conn = Connect();
      if (conn.ok()) return conn;
      lock.lock();
      ++missing_;
      cv_.notify_one();
      return conn.status();
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && missing_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("no PostgreSQL connection free within ", timeout.count(), " ms (schema ", schema_, ")"));
    }
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  {
    std::lock_guard lock(mutex_);
    if (broken || conn == nullptr || !conn->is_open()) {
      ++missing_;
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  cv_.notify_one();
}

absl::Status PgPool::WithTransaction(const std::function<absl::Status(pqxx::work&)>& fn,
                                     std::chrono::milliseconds acquire_timeout) {
  // Exceptions thrown in fn or at commit reach WithConnection's handler.
  return WithConnection(
      [&fn](pqxx::connection& conn) {
        pqxx::work tx(conn);
        absl::Status status = fn(tx);
        if (status.ok()) {
          tx.commit();
        } else {
          tx.abort();
        }
        return status;
      },
      acquire_timeout);
}

absl::Status PgPool::WithConnection(const std::function<absl::Status(pqxx::connection&)>& fn,
                                    std::chrono::milliseconds acquire_timeout) {
  auto conn = Acquire(acquire_timeout);
  if (!conn.ok()) return conn.status();
  absl::Status status;
  bool broken = false;
  try {
    status = fn(**conn);
  } catch (const std::exception& e) {
    status = StatusFromPqxx(e);
    broken = status.code() == absl::StatusCode::kUnavailable;
  }
  Release(*std::move(conn), broken);
  return status;
}

absl::Status PgPool::Ping() {
  return WithConnection([](pqxx::connection& conn) {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT 1");
    return absl::OkStatus();
  });
}

std::string PgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

namespace {
template <typename T, typename Format>
std::string ArrayLiteral(const std::vector<T>& values, Format format) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += format(values[i]);
  }
  out.push_back('}');
  return out;
}
}  // namespace

std::string PgNumberArray(const std::vector<int64_t>& values) {
  return ArrayLiteral(values, [](int64_t v) { return std::to_string(v); });
}
std::string PgNumberArray(const std::vector<int>& values) {
  return ArrayLiteral(values, [](int v) { return std::to_string(v); });
}
std::string PgNumberArray(const std::vector<double>& values) {
  return ArrayLiteral(values, [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return std::string(buffer);
  });
}
std::string PgBoolArray(const std::vector<bool>& values) {
  return ArrayLiteral(values, [](bool v) { return std::string(v ? "t" : "f"); });
}

std::string PgByteaArray(const std::vector<std::string>& values) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "\"\\\\x";  // "\\x: the array quoting escapes the backslash of bytea's hex form
    for (unsigned char c : values[i]) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace cityops::common
