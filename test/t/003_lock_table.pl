# A single upgrade() that creates many tables holds a lock on each until it
# commits and can fill the shared lock table.  pgmig's error must say what
# to do (migrate(), smaller steps, or max_locks_per_transaction), change
# nothing, and CALL pgmig.migrate() -- one transaction per revision -- must
# then succeed on the same server.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('locks');
$node->init;
# a deliberately small lock table: about 10 x (10 + 0) = 100 slots.  No huge
# pages: the shared memory segment is rounded up to whole pages and the lock
# table may grow into the rest, up to 2 MB of it with 2 MB pages, where 300
# tables' locks fit (seen on a machine with vm.nr_hugepages set, where the
# default huge_pages = try takes them)
$node->append_conf('postgresql.conf', "max_locks_per_transaction = 10\nmax_connections = 10\nhuge_pages = off\n");
$node->start;

# 30 revisions of 10 tables each (with a primary key: several locks each)
my $sql = "CREATE EXTENSION pgmig; SET pgmig.guard = off;\n";
for my $i (1 .. 30)
{
	my $parent = $i == 1 ? '{}' : sprintf('{r%02d}', $i - 1);
	my $up = join(' ', map { "CREATE TABLE t_${i}_$_ (id int PRIMARY KEY);" } 1 .. 10);
	my $down = join(' ', map { "DROP TABLE t_${i}_$_;" } 1 .. 10);
	$sql .= sprintf("SELECT pgmig.add('r%02d', '%s', '%s', '%s', 'ten tables %d');\n",
		$i, $parent, $up, $down, $i);
}
$node->safe_psql('postgres', $sql);

my ($ret, $stdout, $stderr) =
  $node->psql('postgres', "SET pgmig.guard = off; SELECT pgmig.upgrade('head')");
isnt($ret, 0, 'one upgrade() of 300 tables fails with a small lock table');
like($stderr, qr/out of shared memory/, 'PostgreSQL says out of shared memory');
like($stderr, qr/HINT:.*CALL pgmig\.migrate\(\)/, 'the hint points to CALL pgmig.migrate()');
like($stderr, qr/max_locks_per_transaction \(10\)/, 'the detail names the setting and its value');
like($stderr, qr/pgmig upgrade of revision "r\d\d"/, 'the context names the revision');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.applied'), '0',
	'nothing was applied');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname LIKE 't\\_%'"),
	'0', 'no table was left behind');

($ret, $stdout, $stderr) =
  $node->psql('postgres', "SET pgmig.guard = off; CALL pgmig.migrate('head')");
is($ret, 0, 'CALL pgmig.migrate() applies the same revisions, committing after each')
  or diag($stderr);
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.applied'), '30',
	'all 30 revisions applied');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname LIKE 't\\_%' AND relkind = 'r'"),
	'300', 'all 300 tables exist');

$node->stop;
done_testing();
