BEGIN;

-- Running downgrade e5f6a7b8c9d0 -> d4e5f6a7b8c9

COMMIT;

DROP INDEX CONCURRENTLY ix_seg_audio;

BEGIN;

UPDATE alembic_version SET version_num='d4e5f6a7b8c9' WHERE alembic_version.version_num = 'e5f6a7b8c9d0';

-- Running downgrade d4e5f6a7b8c9 -> b2c3d4e5f6a7, c3d4e5f6a7b8

INSERT INTO alembic_version (version_num) VALUES ('b2c3d4e5f6a7') RETURNING alembic_version.version_num;

UPDATE alembic_version SET version_num='c3d4e5f6a7b8' WHERE alembic_version.version_num = 'd4e5f6a7b8c9';

-- Running downgrade b2c3d4e5f6a7 -> a1b2c3d4e5f6

ALTER TABLE segment DROP COLUMN word_timestamps;

ALTER TABLE segment DROP COLUMN audio_start_ms;

DELETE FROM alembic_version WHERE alembic_version.version_num = 'b2c3d4e5f6a7';

-- Running downgrade c3d4e5f6a7b8 -> a1b2c3d4e5f6

DROP INDEX ix_segment_ts;

DROP FUNCTION seg_f();

UPDATE alembic_version SET version_num='a1b2c3d4e5f6' WHERE alembic_version.version_num = 'c3d4e5f6a7b8';

-- Running downgrade a1b2c3d4e5f6 -> 

DROP TABLE segment;

DELETE FROM alembic_version WHERE alembic_version.version_num = 'a1b2c3d4e5f6';

DROP TABLE alembic_version;

COMMIT;

