BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1b2c3d4e5f6

CREATE TABLE segment (
    id SERIAL NOT NULL, 
    timestamp VARCHAR, 
    text TEXT, 
    PRIMARY KEY (id)
);

INSERT INTO segment (timestamp, text) VALUES ('2020-01-01 00:00:01', 'it''s; a test');

INSERT INTO alembic_version (version_num) VALUES ('a1b2c3d4e5f6') RETURNING alembic_version.version_num;

-- Running upgrade a1b2c3d4e5f6 -> c3d4e5f6a7b8

CREATE FUNCTION seg_f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;

CREATE INDEX ix_segment_ts ON segment (timestamp);

UPDATE alembic_version SET version_num='c3d4e5f6a7b8' WHERE alembic_version.version_num = 'a1b2c3d4e5f6';

-- Running upgrade a1b2c3d4e5f6 -> b2c3d4e5f6a7

ALTER TABLE segment ADD COLUMN audio_start_ms INTEGER;

ALTER TABLE segment ADD COLUMN word_timestamps JSON;

INSERT INTO alembic_version (version_num) VALUES ('b2c3d4e5f6a7') RETURNING alembic_version.version_num;

-- Running upgrade b2c3d4e5f6a7, c3d4e5f6a7b8 -> d4e5f6a7b8c9

DELETE FROM alembic_version WHERE alembic_version.version_num = 'b2c3d4e5f6a7';

UPDATE alembic_version SET version_num='d4e5f6a7b8c9' WHERE alembic_version.version_num = 'c3d4e5f6a7b8';

-- Running upgrade d4e5f6a7b8c9 -> e5f6a7b8c9d0
