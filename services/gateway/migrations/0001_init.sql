-- gateway: the people and systems that may come in (users with Argon2id
-- password hashes, integration clients by the SHA-256 of their API key) and
-- the audit trail of every command. Tables live in the service's schema.

CREATE TABLE users (
  username      text PRIMARY KEY,
  password_hash text NOT NULL,
  role          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false
);

CREATE TABLE api_keys (
  name       text PRIMARY KEY,
  digest     text NOT NULL UNIQUE,
  role       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  revoked    boolean NOT NULL DEFAULT false
);

-- Who did what, when, and with what result. Never a password, token or key;
-- residents' personal data is left out of the recorded request.
CREATE TABLE audit (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  role        text NOT NULL,
  method      text NOT NULL,
  path        text NOT NULL,
  route       text NOT NULL,
  target      text NOT NULL DEFAULT '',
  request     jsonb,
  http_status integer NOT NULL,
  result      text NOT NULL,
  peer        text NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at DESC, id DESC);
CREATE INDEX audit_actor ON audit (actor, at DESC);
