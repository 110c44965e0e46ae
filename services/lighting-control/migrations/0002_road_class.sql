-- lighting-control: each light point's road class (asset attribute
-- "road_class", e.g. "main" or "local"), for overrides, exceptions and
-- profiles on the road-class scope. Scopes are stored as protobuf bodies, so
-- no scope-kind constraint needs extending.

ALTER TABLE light_points ADD COLUMN road_class text NOT NULL DEFAULT '';
