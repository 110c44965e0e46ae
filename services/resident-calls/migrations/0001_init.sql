-- resident-calls: residents' requests, their status history and notes, the
-- residents' personal data (apart, deleted after the retention period), and
-- the usual applied events, dead letters and outbox. Tables live in the
-- service's schema.

CREATE SEQUENCE request_number;

CREATE TABLE requests (
  id                   text PRIMARY KEY,
  category             text NOT NULL,
  description          text NOT NULL,
  lat                  double precision NOT NULL,
  lon                  double precision NOT NULL,
  address              text NOT NULL DEFAULT '',
  district             integer NOT NULL,
  channel              integer NOT NULL,
  status               integer NOT NULL,
  recorded_by          text NOT NULL,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  expected_at          timestamptz NOT NULL,
  closed_at            timestamptz,
  status_note          text NOT NULL DEFAULT '',
  incident_id          text NOT NULL DEFAULT '',
  linked_known         boolean NOT NULL DEFAULT false,
  callers              integer NOT NULL DEFAULT 1,
  personal_data_purged boolean NOT NULL DEFAULT false,
  idempotency_key      text UNIQUE,
  -- Every change adds one; events are named "<id>/<version>".
  version              bigint NOT NULL DEFAULT 1
);
-- Lists, newest first (keyset paging), and their usual filters.
CREATE INDEX requests_created ON requests (created_at DESC, id DESC);
CREATE INDEX requests_status_created ON requests (status, created_at DESC);
CREATE INDEX requests_updated ON requests (updated_at);
-- Duplicate search among open requests (status 4 is closed).
CREATE INDEX requests_open_place ON requests (lat, lon) WHERE status <> 4;
-- Requests waiting for their incident's news.
CREATE INDEX requests_incident ON requests (incident_id) WHERE incident_id <> '';
-- The retention sweep.
CREATE INDEX requests_purge ON requests (closed_at) WHERE status = 4 AND NOT personal_data_purged;

CREATE TABLE status_history (
  seq        bigserial PRIMARY KEY,
  request_id text NOT NULL REFERENCES requests (id),
  status     integer NOT NULL,
  note       text NOT NULL,
  actor      text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX status_history_request ON status_history (request_id, seq);

CREATE TABLE notes (
  seq        bigserial PRIMARY KEY,
  request_id text NOT NULL REFERENCES requests (id),
  text       text NOT NULL,
  author     text NOT NULL,
  public     boolean NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX notes_request ON notes (request_id, seq);

-- Personal data: never in events, logs or the other tables.
CREATE TABLE residents (
  seq        bigserial PRIMARY KEY,
  request_id text NOT NULL REFERENCES requests (id),
  first_name text NOT NULL DEFAULT '',
  last_name  text NOT NULL DEFAULT '',
  phone      text NOT NULL DEFAULT '',
  email      text NOT NULL DEFAULT '',
  added_at   timestamptz NOT NULL
);
CREATE INDEX residents_request ON residents (request_id, seq);

CREATE TABLE applied_events (
  event_id   text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applied_events_at ON applied_events (applied_at);

CREATE TABLE dead_letters (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  "offset"    bigint NOT NULL,
  key         bytea NOT NULL,
  value       bytea NOT NULL,
  reason      text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  key        bytea NOT NULL,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
