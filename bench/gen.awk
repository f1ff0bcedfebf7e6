# Generate a revision history.
#   awk -v n=N -v shape=linear|branchy -v script=trivial|table [-v out=csv|up|down|files -v dir=D] -f gen.awk
# out=csv (default): rows for COPY pgmig.revision (id, down_revision, message,
#   upgrade, downgrade) FROM STDIN (FORMAT csv)
# out=up / out=down: the upgrade scripts in order / the downgrade scripts in
#   reverse order, as one SQL file for psql
# out=files: one revision file per revision in dir (<id>_rev.sql)
# Ids are r000001..rN.  shape=branchy: blocks of 50 revisions: a branch point,
# two branches of 24 revisions, and a merge revision closing the block.
function id(i) { return sprintf("r%06d", i) }
BEGIN {
  if (out == "") out = "csv"
  for (i = 1; i <= n; i++) {
    if (i == 1) par = ""
    else if (shape != "branchy") par = id(i-1)
    else {
      p = (i - 1) % 50; base = i - p
      if (p == 0) par = id(i-1)
      else if (p == 1 || p == 25) par = id(base)
      else if (p == 49) par = id(base+24) "," id(base+48)
      else par = id(i-1)
    }
    if (script == "table") {
      up = "CREATE TABLE t_" i " (id int primary key, note text)"
      dn = "DROP TABLE t_" i
    } else { up = "SELECT 1"; dn = "SELECT 1" }
    if (out == "csv")
      printf "%s,\"{%s}\",rev %d,\"%s\",\"%s\"\n", id(i), par, i, up, dn
    else if (out == "up")
      print up ";"
    else if (out == "down")
      downs[i] = dn ";"
    else if (out == "files") {
      f = dir "/" id(i) "_rev.sql"
      printf "-- revision: %s\n-- down_revision: %s\n-- message: rev %d\n\n-- migrate:up\n%s;\n\n-- migrate:down\n%s;\n", id(i), par, i, up, dn > f
      close(f)
    }
  }
  if (out == "down")
    for (i = n; i >= 1; i--) print downs[i]
}
