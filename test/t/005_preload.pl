# pgmig in shared_preload_libraries: what the README advises for fast first
# calls (the library is loaded once by the postmaster, not by every new
# backend).  Everything must work as when each backend loads it: runs, the
# read functions in new connections, the per-backend graph cache seeing
# another session's change, the settings checked, and the guard failing
# closed on a misspelt value in postgresql.conf.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('preload');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pgmig'\nhuge_pages = off\n");
$node->start;

is($node->safe_psql('postgres', "SHOW shared_preload_libraries"), 'pgmig',
	'pgmig is preloaded');
$node->safe_psql('postgres', q{
	CREATE EXTENSION pgmig;
	SELECT pgmig.add('r1', '{}', 'CREATE TABLE t1 (a int);', 'DROP TABLE t1;', 'one');
	SELECT pgmig.add('r2', '{r1}', 'CREATE TABLE t2 (a int);', 'DROP TABLE t2;', 'two');
	SELECT pgmig.add('r3', '{r2}', 'CREATE TABLE t3 (a int);', 'DROP TABLE t3;', 'three');
});
is($node->safe_psql('postgres', "SELECT pgmig.upgrade('r2')"), '2', 'upgrade runs');

# each safe_psql is a new connection: a backend's first call
is($node->safe_psql('postgres', "SELECT revision FROM pgmig.heads()"), 'r3',
	'heads() in a new backend');
is($node->safe_psql('postgres', "SELECT revision FROM pgmig.current()"), 'r2',
	'current() in a new backend');
is($node->safe_psql('postgres', "SELECT string_agg(revision, ',' ORDER BY step) FROM pgmig.plan('upgrade', 'head')"),
	'r3', 'plan() in a new backend');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmig.check() WHERE severity = 'error'"),
	'0', 'check() finds nothing wrong');

# the per-backend cache sees another session's change
my $s = $node->background_psql('postgres');
is($s->query_safe("SELECT revision FROM pgmig.heads()"), 'r3', 'a session asks once');
is($s->query_safe("SELECT revision FROM pgmig.heads()"), 'r3', 'and again (from its cache)');
$node->safe_psql('postgres',
	"SELECT pgmig.add('r4', '{r3}', 'CREATE TABLE t4 (a int);', 'DROP TABLE t4;', 'four')");
is($s->query_safe("SELECT revision FROM pgmig.heads()"), 'r4',
	'the cached graph follows another session\'s change');
$s->quit;

# the settings are known in every session: a bad value is refused at once
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', "ALTER DATABASE postgres SET pgmig.guard = 'eror'");
isnt($ret, 0, 'a misspelt pgmig.guard is refused by ALTER DATABASE');
like($stderr, qr/invalid value for parameter "pgmig.guard"/, 'naming the setting');
($ret, $stdout, $stderr) = $node->psql('postgres', "SET pgmig.lock_retries = -1");
like($stderr, qr/pgmig.lock_retries must be between 0 and/, 'the lock settings are checked too');

# a misspelt value in postgresql.conf: the server starts, says so, and the
# guard refuses DDL outside migrations (as with "error") until it is fixed
$node->append_conf('postgresql.conf', "pgmig.guard = 'eror'\n");
$node->restart;
like(slurp_file($node->logfile), qr/invalid value "eror" for pgmig.guard/,
	'the server log names the bad value');
($ret, $stdout, $stderr) = $node->psql('postgres', "CREATE TABLE outside (a int)");
isnt($ret, 0, 'DDL outside a migration is refused: the guard fails closed');
is($node->safe_psql('postgres', "SELECT to_regclass('outside') IS NULL"), 't',
	'nothing was created');
is($node->safe_psql('postgres', "SET pgmig.guard = warn; SELECT pgmig.upgrade('head')"), '2',
	'a run still works');

$node->stop;
done_testing();
