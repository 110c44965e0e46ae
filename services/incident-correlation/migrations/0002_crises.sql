-- Crisis mode: crises proposed, declared, changed and ended over districts.
-- `body` is the Crisis protobuf (the source of truth: districts, actions and
-- their state, timeline); the columns beside it serve loading and listing.
CREATE TABLE crises (
  id          text PRIMARY KEY,
  number      bigint NOT NULL UNIQUE,
  playbook    text NOT NULL,
  status      smallint NOT NULL,
  -- No action left to apply or revert, and ended or dismissed.
  settled     boolean NOT NULL,
  proposed_at timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  version     bigint NOT NULL,
  body        bytea NOT NULL
);
CREATE INDEX crises_live ON crises (settled, updated_at);
CREATE INDEX crises_status_number ON crises (status, number DESC);
