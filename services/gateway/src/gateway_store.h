#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cityops/common/pg.h"

// The gateway's own data in its schema: users, integration clients' API keys
// (by digest) and the audit trail.
namespace cityops::gateway {

struct UserRecord {
  std::string username;
  std::string password_hash;  // Argon2id, PHC string
  std::string role;
  std::string created_at;  // RFC 3339, UTC
  std::string created_by;
  bool disabled = false;
};

struct ApiKeyRecord {
  std::string name;
  std::string role;
};

struct AuditRecord {
  int64_t id = 0;  // set by the store
  std::string at;  // set by the store (RFC 3339, UTC)
  std::string actor;
  std::string role;
  std::string method;
  std::string path;
  std::string route;    // the route's pattern
  std::string target;   // the {id} of the route, if any
  std::string request;  // JSON (secrets and personal data left out), empty: none
  int http_status = 0;
  std::string result;  // "ok" or the error's message
  std::string peer;
};

class GatewayStore {
 public:
  virtual ~GatewayStore() = default;
  virtual absl::StatusOr<int64_t> CountUsers() = 0;
  // ALREADY_EXISTS when the username is taken.
  virtual absl::Status CreateUser(const UserRecord& user) = 0;
  // Creates the user only when there is none at all (first start); false when there were users.
  virtual absl::StatusOr<bool> CreateFirstUser(const UserRecord& user) = 0;
  virtual absl::StatusOr<std::optional<UserRecord>> FindUser(const std::string& username) = 0;
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers() = 0;
  // NOT_FOUND when there is no such user.
  virtual absl::Status SetUserDisabled(const std::string& username, bool disabled) = 0;
  // ALREADY_EXISTS when the name is taken.
  virtual absl::Status CreateApiKey(const std::string& name, const std::string& digest, const std::string& role,
                                    const std::string& created_by) = 0;
  virtual absl::StatusOr<std::optional<ApiKeyRecord>> FindApiKey(const std::string& digest) = 0;
  // Writes the row before the command is carried out (http_status 0, result
  // "pending"), so that no command runs unrecorded; returns its id.
  virtual absl::StatusOr<int64_t> BeginAudit(const AuditRecord& record) = 0;
  // The command's outcome.
  virtual absl::Status FinishAudit(int64_t id, int http_status, const std::string& result) = 0;
  // Newest first, at most `limit`, with ids below `before_id` when it is positive.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(int limit, int64_t before_id) = 0;
  virtual absl::Status Ping() = 0;
};

class PgGatewayStore final : public GatewayStore {
 public:
  explicit PgGatewayStore(common::PgPool& pool) : pool_(pool) {}
  absl::StatusOr<int64_t> CountUsers() override;
  absl::Status CreateUser(const UserRecord& user) override;
  absl::StatusOr<bool> CreateFirstUser(const UserRecord& user) override;
  absl::StatusOr<std::optional<UserRecord>> FindUser(const std::string& username) override;
  absl::StatusOr<std::vector<UserRecord>> ListUsers() override;
  absl::Status SetUserDisabled(const std::string& username, bool disabled) override;
  absl::Status CreateApiKey(const std::string& name, const std::string& digest, const std::string& role,
                            const std::string& created_by) override;
  absl::StatusOr<std::optional<ApiKeyRecord>> FindApiKey(const std::string& digest) override;
  absl::StatusOr<int64_t> BeginAudit(const AuditRecord& record) override;
  absl::Status FinishAudit(int64_t id, int http_status, const std::string& result) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int limit, int64_t before_id) override;
  absl::Status Ping() override { return pool_.Ping(); }

 private:
  common::PgPool& pool_;
};

}  // namespace cityops::gateway
