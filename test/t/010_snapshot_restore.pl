# "Zero false diffs": the schema snapshot of a broad fixture (one object of
# every kind, test/fixtures/snapshot_broad.sql) is identical after pg_dump -Fc
# + pg_restore, after a plain pg_dump replayed by psql, and in a fresh
# database built from the fixture SQL itself (objects created in another
# order, pgmig installed after them).  A changed database is not identical
# (the comparison can fail).  The schema pgmig recorded comes back with the
# dump, so drift() is empty after a restore.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# run_tap.sh runs a copy of this script from another directory (as root)
my ($fixture) = grep { -r $_ } ('test/fixtures/snapshot_broad.sql', 'fixtures/snapshot_broad.sql');
BAIL_OUT('fixture test/fixtures/snapshot_broad.sql not found') unless $fixture;
my $fixture_sql = slurp_file($fixture);

my $node = PostgreSQL::Test::Cluster->new('snapshot');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE ROLE regress_snapshot_reader');

sub snapshot
{
	my ($db) = @_;
	return $node->safe_psql($db, 'SELECT pgmig.snapshot()::text');
}

sub same_snapshot
{
	my ($db, $expected, $name) = @_;
	my $got = snapshot($db);
	if (!is($got, $expected, $name))
	{
		# show the objects that differ, by id
		my %e = map { $_->[0] => $_->[1] } objects($node, $expected);
		my %g = map { $_->[0] => $_->[1] } objects($node, $got);
		for my $id (sort keys %{ { %e, %g } })
		{
			diag("only before: $id") if !exists $g{$id};
			diag("only after: $id") if !exists $e{$id};
			diag("changed: $id\n  before: $e{$id}\n  after:  $g{$id}")
			  if exists $g{$id} && exists $e{$id} && $g{$id} ne $e{$id};
		}
	}
}

sub objects
{
	my ($n, $json) = @_;
	$json =~ s/'/''/g;
	my $rows = $n->safe_psql('postgres',
		"SELECT o->>'id' || E'\\t' || o::text FROM jsonb_array_elements('$json'::jsonb->'objects') o");
	return map { [ split /\t/, $_, 2 ] } split /\n/, $rows;
}

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', "CREATE EXTENSION pgmig; SET pgmig.guard = off;\n" . $fixture_sql);
$node->safe_psql('src', 'SELECT pgmig.record_schema()');
my $before = snapshot('src');
my @kinds = sort keys %{ { map { (/^(\w+) /)[0] => 1 } map { $_->[0] } objects($node, $before) } };
is(join(',', @kinds),
	'acl,column,comment,composite,constraint,domain,enum,extension,function,index,matview,policy,schema,sequence,table,trigger,unsupported,view',
	'the fixture has an object of every kind');

# pg_dump -Fc, pg_restore
my $dump = $node->basedir . '/src.dump';
command_ok([ 'pg_dump', '-Fc', '-h', $node->host, '-p', $node->port, '-d', 'src', '-f', $dump ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
my ($out, $err) = ('', '');
my $rc = IPC::Run::run([ 'pg_restore', '-h', $node->host, '-p', $node->port, '-d', 'restored', $dump ],
	'>', \$out, '2>', \$err);
ok($rc, 'pg_restore succeeds') or diag($err);
same_snapshot('restored', $before, 'snapshot identical after pg_dump -Fc / pg_restore');
is($node->safe_psql('restored', 'SELECT action FROM pgmig.schema_state'), 'record_schema',
	'the recorded schema is restored with the extension');
is($node->safe_psql('restored', 'SELECT count(*) FROM pgmig.drift()'), '0',
	'no drift after pg_restore');

# plain pg_dump, replayed by psql
my $plain = $node->basedir . '/src.sql';
command_ok([ 'pg_dump', '-h', $node->host, '-p', $node->port, '-d', 'src', '-f', $plain ],
	'pg_dump (plain)');
$node->safe_psql('postgres', 'CREATE DATABASE replayed');
command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
	'-d', 'replayed', '-f', $plain ], 'psql replays the plain dump');
same_snapshot('replayed', $before, 'snapshot identical after a plain dump replayed by psql');
is($node->safe_psql('replayed', 'SELECT count(*) FROM pgmig.drift()'), '0',
	'no drift after a plain dump replayed by psql');

# a fresh database built from the fixture SQL, pgmig installed afterwards
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', $fixture_sql . "\nCREATE EXTENSION pgmig;");
same_snapshot('fresh', $before, 'snapshot identical in a fresh database built from the fixture SQL');

# the client's copy of the query (src/snapshot.sql, compiled into the
# client as src/client/snapshot_sql.h) returns the very same text as
# pgmig.snapshot()::text, jsonb's canonical form, once its rows (id,
# object), which come in no particular order, are sorted by id (bytes) and
# joined as doc/snapshot-format.md says
my $query = slurp_file('src/snapshot.sql');
$query =~ s/^\s*--.*\n//mg;
my $version = $node->safe_psql('src', 'SHOW server_version_num');
sub query_text
{
	my ($schemas) = @_;
	my ($out, $err);
	# NUL-separated fields: an id may hold a newline
	$node->psql('src', "BEGIN; SET LOCAL search_path = pg_catalog, pg_temp;\n"
		  . "PREPARE s(text[]) AS\n$query;\nEXECUTE s($schemas);\nCOMMIT;",
		stdout => \$out, stderr => \$err, on_error_die => 1,
		extra_params => [ '-z', '-0' ]);
	my @f = split /\0/, $out;
	# pairs (id, object) by id; Perl's cmp compares these strings bytewise
	my @pairs = sort { $a->[0] cmp $b->[0] }
	  map { [ $f[ 2 * $_ ], $f[ 2 * $_ + 1 ] ] } 0 .. ($#f - 1) / 2;
	my @objects = map { $_->[1] } @pairs;
	return '{"format": 1, "objects": [' . join(', ', @objects)
	  . '], "server_version_num": ' . $version . '}';
}
is(query_text('NULL'), $before, "the client's query returns pgmig.snapshot()'s text, byte for byte");
is(query_text("'{app}'"), $node->safe_psql('src', "SELECT pgmig.snapshot('{app}')::text"),
	"the client's query with a schema list, likewise");

# the same schema filtered, on both sides
is($node->safe_psql('fresh', "SELECT pgmig.snapshot('{app}')::text"),
	$node->safe_psql('src', "SELECT pgmig.snapshot('{app}')::text"),
	'snapshot of schema app identical');

# and a real change is seen: the comparison can fail
$node->safe_psql('fresh', "SET pgmig.guard = off; ALTER TABLE app.item ALTER COLUMN qty SET NOT NULL");
isnt(snapshot('fresh'), $before, 'a changed database has a different snapshot');

$node->stop;
done_testing();
