#include "gateway_store.h"

#include "absl/strings/str_cat.h"

namespace cityops::gateway {

namespace {

constexpr char kUserColumns[] =
    "username, password_hash, role, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "created_by, disabled";

UserRecord UserFromRow(const pqxx::row& row) {
  UserRecord user;
  user.username = row[0].as<std::string>();
  user.password_hash = row[1].as<std::string>();
  user.role = row[2].as<std::string>();
  user.created_at = row[3].as<std::string>();
  user.created_by = row[4].as<std::string>();
  user.disabled = row[5].as<bool>();
  return user;
}

}  // namespace

absl::StatusOr<int64_t> PgGatewayStore::CountUsers() {
  int64_t count = 0;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    count = tx.exec1("SELECT count(*) FROM users")[0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return count;
}

absl::Status PgGatewayStore::CreateUser(const UserRecord& user) {
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO users (username, password_hash, role, created_by) VALUES ($1, $2, $3, $4)",
                   user.username, user.password_hash, user.role, user.created_by);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(status)) return absl::AlreadyExistsError("user " + user.username + " already exists");
  return status;
}

absl::StatusOr<bool> PgGatewayStore::CreateFirstUser(const UserRecord& user) {
  bool created = false;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    // Two instances starting together: one creates, the other sees it.
    tx.exec("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE");
    if (tx.exec1("SELECT count(*) FROM users")[0].as<int64_t>() > 0) return absl::OkStatus();
    tx.exec_params("INSERT INTO users (username, password_hash, role, created_by) VALUES ($1, $2, $3, $4)",
                   user.username, user.password_hash, user.role, user.created_by);
    created = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<std::optional<UserRecord>> PgGatewayStore::FindUser(const std::string& username) {
  std::optional<UserRecord> found;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    const auto rows =
        tx.exec_params(absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE username = $1"), username);
    if (!rows.empty()) found = UserFromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::vector<UserRecord>> PgGatewayStore::ListUsers() {
  std::vector<UserRecord> users;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec(absl::StrCat("SELECT ", kUserColumns, " FROM users ORDER BY username"))) {
      users.push_back(UserFromRow(row));
      users.back().password_hash.clear();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return users;
}

absl::Status PgGatewayStore::SetUserDisabled(const std::string& username, bool disabled) {
  bool found = false;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    found =
        tx.exec_params("UPDATE users SET disabled = $2 WHERE username = $1", username, disabled).affected_rows() > 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no user " + username);
  return absl::OkStatus();
}

absl::Status PgGatewayStore::CreateApiKey(const std::string& name, const std::string& digest, const std::string& role,
                                          const std::string& created_by) {
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO api_keys (name, digest, role, created_by) VALUES ($1, $2, $3, $4)", name, digest, role,
                   created_by);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(status)) return absl::AlreadyExistsError("an API key named " + name + " already exists");
  return status;
}

absl::StatusOr<std::optional<ApiKeyRecord>> PgGatewayStore::FindApiKey(const std::string& digest) {
  std::optional<ApiKeyRecord> found;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    const auto rows = tx.exec_params("SELECT name, role FROM api_keys WHERE digest = $1 AND NOT revoked", digest);
    if (!rows.empty()) found = ApiKeyRecord{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<int64_t> PgGatewayStore::BeginAudit(const AuditRecord& r) {
  int64_t id = 0;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    id = tx.exec_params1(
               "INSERT INTO audit (actor, role, method, path, route, target, request, http_status, result, peer) "
               "VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')::jsonb, $8, $9, $10) RETURNING id",
               r.actor, r.role, r.method, r.path, r.route, r.target, r.request, r.http_status,
               r.result.empty() ? std::string("pending") : r.result, r.peer)[0]
             .as<int64_t>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return id;
}

absl::Status PgGatewayStore::FinishAudit(int64_t id, int http_status, const std::string& result) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_params("UPDATE audit SET http_status = $2, result = $3 WHERE id = $1", id, http_status, result);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<AuditRecord>> PgGatewayStore::ListAudit(int limit, int64_t before_id) {
  std::vector<AuditRecord> records;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor, role, method, path, "
        "route, target, COALESCE(request::text, ''), http_status, result, peer FROM audit "
        "WHERE $1 <= 0 OR id < $1 ORDER BY id DESC LIMIT $2",
        before_id, limit);
    for (const auto& row : rows) {
      AuditRecord r;
      r.id = row[0].as<int64_t>();
      r.at = row[1].as<std::string>();
      r.actor = row[2].as<std::string>();
      r.role = row[3].as<std::string>();
      r.method = row[4].as<std::string>();
      r.path = row[5].as<std::string>();
      r.route = row[6].as<std::string>();
      r.target = row[7].as<std::string>();
      r.request = row[8].as<std::string>();
      r.http_status = row[9].as<int>();
      r.result = row[10].as<std::string>();
      r.peer = row[11].as<std::string>();
      records.push_back(std::move(r));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return records;
}

}  // namespace cityops::gateway
