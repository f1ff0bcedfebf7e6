# Issue 8 item 10: a non-transactional revision killed during its second
# statement resumes at the first statement not done.  r2 has two
# CREATE INDEX CONCURRENTLY statements; the second waits for a lock another
# session holds, and its backend is terminated there.  The rerun must not
# run statement 1 again ("already exists"), must finish r2, and pgmig must
# say truthfully what ran.  No timing: the kill happens while the backend
# is seen waiting on the lock.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('resume');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');

my $dir = PostgreSQL::Test::Utils::tempdir;
sub revfile
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/$name") or die "$dir/$name: $!";
	print $fh $text;
	close $fh;
}
revfile('r1_tables.sql', "-- revision: r1\n-- down_revision:\n-- message: tables\n\n"
	  . "-- migrate:up\nCREATE TABLE t (a int);\nCREATE TABLE u (a int);\n\n"
	  . "-- migrate:down\nDROP TABLE u;\nDROP TABLE t;\n");
revfile('r2_indexes.sql', "-- revision: r2\n-- down_revision: r1\n-- message: indexes\n"
	  . "-- transactional: false\n\n"
	  . "-- migrate:up\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY u_a ON u (a);\n\n"
	  . "-- migrate:down\nDROP INDEX CONCURRENTLY u_a;\nDROP INDEX CONCURRENTLY t_a;\n");

$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
$ENV{PGDATABASE} = 'postgres';
my $bindir = $node->config_data('--bindir');
my $pgmig = -x "$bindir/pgmig" ? "$bindir/pgmig" : 'pgmig';

my ($out, $err) = ('', '');
ok(IPC::Run::run([ $pgmig, '--dir', $dir, 'upgrade', 'r1' ], '>', \$out, '2>', \$err),
	'r1 applied') or diag($err);

# another session keeps u locked, so statement 2 of r2 waits
my ($bin, $bout, $berr) = ('', '', '');
my $blocker = IPC::Run::start([ 'psql', '-XAtq', '-d', 'postgres' ],
	'<', \$bin, '>', \$bout, '2>', \$berr);
$bin .= "BEGIN; LOCK TABLE u IN SHARE UPDATE EXCLUSIVE MODE; SELECT 'locked';\n";
$blocker->pump until $bout =~ /locked/;

($out, $err) = ('', '');
my $run = IPC::Run::start([ $pgmig, '--dir', $dir, 'upgrade' ], '>', \$out, '2>', \$err);
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY u_a%' AND wait_event_type = 'Lock'"),
	'statement 2 of r2 waits for the lock');
$node->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY u_a%'");
$run->finish;
isnt($run->result, 0, 'the killed run fails');
like($err, qr/statements? 1 (to 1 )?ran/i, 'it says that statement 1 ran');
unlike($err, qr/nothing of this revision ran/, 'it does not claim that nothing ran');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmig.applied WHERE revision = 'r2'"), '0',
	'r2 is not recorded as applied');
is($node->safe_psql('postgres',
	"SELECT string_agg(c.relname || ':' || i.indisvalid, ',' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_a', 'u_a')"),
	't_a:true', 'statement 1 built t_a; statement 2 left nothing');

$bin .= "COMMIT;\n\\q\n";
$blocker->finish;

($out, $err) = ('', '');
ok(IPC::Run::run([ $pgmig, '--dir', $dir, 'upgrade' ], '>', \$out, '2>', \$err),
	'the rerun succeeds') or diag($err);
unlike($err, qr/already exists/, 'the rerun does not run statement 1 again');
like($err, qr/resum\w* .*statement 2/i, 'the rerun says it resumes at statement 2');
is($node->safe_psql('postgres',
	"SELECT string_agg(c.relname || ':' || i.indisvalid, ',' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_a', 'u_a')"),
	't_a:true,u_a:true', 'both indexes are built and valid');
is($node->safe_psql('postgres', "SELECT string_agg(revision, ',' ORDER BY revision) FROM pgmig.applied"),
	'r1,r2', 'r2 is recorded as applied');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmig.journal WHERE revision = 'r2' AND action = 'upgrade'"),
	'1', 'r2 is journaled once');

done_testing();
