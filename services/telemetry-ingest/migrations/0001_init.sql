-- telemetry-ingest: asset registry, latest state, reading history, outbox.
-- Tables are created in the service's schema (the connection's search_path).

-- The registry. `body` is the Asset protobuf as registered (the source of
-- truth for every field); the columns beside it serve the queries.
CREATE TABLE assets (
  id                   text PRIMARY KEY,
  kind                 smallint NOT NULL,
  district             smallint NOT NULL,
  lat                  double precision NOT NULL,
  lon                  double precision NOT NULL,
  parent_id            text,
  reporting_interval_s integer NOT NULL,
  retired              boolean NOT NULL DEFAULT false,
  version              bigint NOT NULL DEFAULT 1,
  registered_at        timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  body                 bytea NOT NULL
);
CREATE INDEX assets_district_kind ON assets (district, kind, id);
CREATE INDEX assets_parent ON assets (parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX assets_position ON assets USING gist (point(lon, lat));

-- Latest state and health per asset: `state` is the AssetState protobuf in
-- its JSON mapping; health and last_seen are kept beside it for the silence scan.
CREATE TABLE asset_state (
  asset_id  text PRIMARY KEY REFERENCES assets (id),
  health    smallint NOT NULL,
  last_seen timestamptz,
  state     jsonb NOT NULL
);
CREATE INDEX asset_state_not_silent ON asset_state (last_seen) WHERE health <> 4;

-- Reading history, partitioned by day (created ahead and dropped after the
-- retention by the service); the default partition catches what falls outside.
CREATE TABLE readings (
  asset_id text NOT NULL,
  metric   text NOT NULL,
  ts       timestamptz NOT NULL,
  value    double precision NOT NULL
) PARTITION BY RANGE (ts);
CREATE TABLE readings_default PARTITION OF readings DEFAULT;
CREATE INDEX readings_asset_metric_ts ON readings (asset_id, metric, ts);

-- Where the telemetry consumer stands, written in the same transaction as the
-- work, so a record replayed after a crash is recognised and skipped.
CREATE TABLE consumer_offsets (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (topic, partition)
);

-- Transactional outbox (see cityops/common/outbox.h).
CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  key        bytea NOT NULL,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
