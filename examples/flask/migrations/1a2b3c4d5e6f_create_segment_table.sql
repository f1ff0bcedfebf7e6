-- revision: 1a2b3c4d5e6f
-- down_revision:
-- message: Create segment table

-- migrate:up
CREATE TABLE segment (
	id			serial PRIMARY KEY,
	text		text NOT NULL,
	"timestamp"	varchar			-- legacy "HH:MM:SS.mmm" offset into the audio
);

-- two rows as the legacy importer wrote them, for the data migration below
INSERT INTO segment (text, "timestamp") VALUES
	('Hello and welcome.', '00:00:01.250'),
	('Today: migrations.', '00:00:04.000');

-- migrate:down
DROP TABLE segment;
