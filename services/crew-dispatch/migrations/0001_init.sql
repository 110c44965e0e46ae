-- crew-dispatch: crews, work orders, the incident events applied, messages
-- set aside, outbox. Tables live in the service's schema.

-- `body` is the Crew / WorkOrder protobuf (the source of truth); the columns
-- beside it serve the queries.
CREATE TABLE crews (
  id         text PRIMARY KEY,
  status     smallint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  body       bytea NOT NULL
);

CREATE TABLE work_orders (
  id          text PRIMARY KEY,
  incident_id text NOT NULL,
  status      smallint NOT NULL,
  priority    smallint NOT NULL,
  crew_id     text NOT NULL,
  created_at  timestamptz NOT NULL,
  version     bigint NOT NULL,
  body        bytea NOT NULL
);
CREATE INDEX work_orders_created ON work_orders (created_at DESC, id DESC);
CREATE INDEX work_orders_status ON work_orders (status, created_at DESC, id DESC);
CREATE INDEX work_orders_incident ON work_orders (incident_id);
CREATE INDEX work_orders_crew ON work_orders (crew_id, created_at DESC) WHERE crew_id <> '';

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
