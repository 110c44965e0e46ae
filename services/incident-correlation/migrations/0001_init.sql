-- incident-correlation: incidents, the inputs already applied, the local
-- topology, messages set aside, outbox. Tables live in the service's schema
-- (the connection's search_path).

-- Incidents. `body` is the Incident protobuf (the source of truth for every
-- field); the columns beside it serve the filters of ListIncidents.
CREATE TABLE incidents (
  id          text PRIMARY KEY,
  status      smallint NOT NULL,
  priority    smallint NOT NULL,
  rule        smallint NOT NULL,
  district    integer NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  asset_id    text NOT NULL,
  opened_at   timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  resolved_at timestamptz,
  version     bigint NOT NULL,
  body        bytea NOT NULL
);
CREATE INDEX incidents_opened ON incidents (opened_at DESC, id DESC);
CREATE INDEX incidents_status_opened ON incidents (status, opened_at DESC, id DESC);
CREATE INDEX incidents_district_opened ON incidents (district, opened_at DESC, id DESC);
CREATE INDEX incidents_position ON incidents (lat, lon);

-- Every input event applied (fault events, resident requests), recorded in
-- the transaction that applied it: a replay after a crash applies nothing twice.
CREATE TABLE applied_events (
  event_id   text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applied_events_at ON applied_events (applied_at);

-- The network topology, from the asset registry's compacted topic.
CREATE TABLE topology (
  asset_id  text PRIMARY KEY,
  kind      smallint NOT NULL,
  parent_id text NOT NULL,
  district  integer NOT NULL,
  lat       double precision NOT NULL,
  lon       double precision NOT NULL,
  version   bigint NOT NULL,
  retired   boolean NOT NULL
);

-- Messages that could not be decoded or made no sense: counted, logged with
-- their offset, and kept here for a person to look at.
CREATE TABLE dead_letters (
  topic        text NOT NULL,
  partition    integer NOT NULL,
  "offset"     bigint NOT NULL,
  key          bytea NOT NULL,
  value        bytea NOT NULL,
  reason       text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  key        bytea NOT NULL,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
