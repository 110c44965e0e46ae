-- crew-dispatch: crews held for a crisis (StageCrew). The staging itself is
-- in the crew's `body`; the crisis that holds a crew, beside it, serves the
-- queries (the crews a crisis holds) and is kept by every save.
ALTER TABLE crews ADD COLUMN crisis_id text NOT NULL DEFAULT '';
CREATE INDEX crews_crisis ON crews (crisis_id) WHERE crisis_id <> '';
