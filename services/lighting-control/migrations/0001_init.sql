-- lighting-control: the light points (from the asset registry topic), the
-- schedule (profiles, their groups, calendar exceptions), overrides, what was
-- commanded and confirmed, the energy account, the audit, and the usual
-- outbox and dead letters. Tables live in the service's schema.

CREATE TABLE light_points (
  id         text PRIMARY KEY,
  cabinet_id text NOT NULL,
  district   integer NOT NULL,
  street     text NOT NULL DEFAULT '',
  rated_w    double precision NOT NULL,
  baseline_w double precision NOT NULL,
  retired    boolean NOT NULL DEFAULT false,
  version    bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- `body` is the protobuf (cityops.lighting.v1 DimmingProfile, CalendarException, Override).
CREATE TABLE profiles (
  id         text PRIMARY KEY,
  body       bytea NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A group's profile. scope_key: "cabinet:ID", "street:NAME", "district:N", "city".
CREATE TABLE profile_assignments (
  scope_key  text PRIMARY KEY,
  scope      bytea NOT NULL,
  profile_id text NOT NULL REFERENCES profiles (id)
);

CREATE TABLE calendar_exceptions (
  id   text PRIMARY KEY,
  body bytea NOT NULL
);

CREATE TABLE overrides (
  id           text PRIMARY KEY,
  number       bigint NOT NULL UNIQUE,
  body         bytea NOT NULL,
  expiry       timestamptz NOT NULL,
  cancelled_at timestamptz
);
CREATE INDEX overrides_live ON overrides (expiry) WHERE cancelled_at IS NULL;

-- The level last commanded to each light point, and whether the field
-- confirmed it; reported_at: a "command not applied" fault was reported.
CREATE TABLE commanded_levels (
  point_id     text PRIMARY KEY,
  level        smallint NOT NULL,
  commanded_at timestamptz NOT NULL,
  confirmed    boolean NOT NULL DEFAULT false,
  reported_at  timestamptz
);

-- Each light point's last power reading (the energy meter's position).
CREATE TABLE point_meters (
  point_id text PRIMARY KEY,
  last_at  timestamptz NOT NULL,
  last_w   double precision NOT NULL
);

-- Energy per district and local day, measured and estimated kept apart.
CREATE TABLE energy_days (
  district     integer NOT NULL,
  day          date NOT NULL,
  measured_wh  double precision NOT NULL,
  estimated_wh double precision NOT NULL,
  measured_s   double precision NOT NULL,
  estimated_s  double precision NOT NULL,
  PRIMARY KEY (district, day)
);

-- Who changed which profile, exception or override, and when.
CREATE TABLE audit (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  action    text NOT NULL,
  target_id text NOT NULL,
  detail    text NOT NULL
);

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
