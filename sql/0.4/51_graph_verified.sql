
/*
 * 51_graph_verified: what check() verified (issue 13), so that check() and
 * status() hash only the scripts of revision rows changed since.
 *
 * pgmig.graph_image.checksums: the stored checksum of every revision (32
 * bytes each, in the image's order), written with the image by the
 * statements that change pgmig.revision; check() uses it only when nothing
 * changed since it verified it.
 *
 * pgmig.graph_verified: one row, written by check() and status() as pgmig
 * itself: the (ctid, raw xmin) of every revision row version whose scripts
 * hashed to its stored checksum, and of the image row when it matched
 * them (src/graphverify.c says why that is sound).  Not dumped: a restored
 * database verifies everything once.
 */
ALTER TABLE pgmig.graph_image ADD COLUMN checksums bytea;
ALTER TABLE pgmig.graph_image ALTER COLUMN checksums SET STORAGE EXTERNAL;

CREATE TABLE pgmig.graph_verified (
	state			bytea
);
ALTER TABLE pgmig.graph_verified ALTER COLUMN state SET STORAGE EXTERNAL;
INSERT INTO pgmig.graph_verified (state) VALUES (NULL);
COMMENT ON TABLE pgmig.graph_verified IS 'pgmig: the revision row versions check() verified (written by check() and status() only)';
REVOKE ALL ON TABLE pgmig.graph_verified FROM PUBLIC;

-- the checksums of the current graph
SELECT pgmig.refresh_graph();
