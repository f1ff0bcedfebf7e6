# Crash safety: SIGKILL the backend (and once, the whole server with an
# immediate shutdown) at random points of a long pgmig run.  After crash
# recovery the applied set must match the schema exactly (revision i applied
# <=> table t_i exists with its rows), check() must report no errors, and a
# rerun must complete.
#
# upgrade() is atomic, so after a crash the applied set is exactly what it
# was before the call (or everything, when the call committed before the
# kill).  CALL pgmig.migrate() commits after every revision, so there any
# prefix may survive; it is tested when the installed pgmig has it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $N = 200;
my $seed = $ENV{PGMIG_CRASH_SEED} // time() ^ $$;
srand($seed);
note "random seed $seed (set PGMIG_CRASH_SEED to repeat)";

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\nlog_min_messages = warning\n");
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');
# 200 revisions: each creates t_i and fills it; every third one sleeps, so
# a run lasts long enough (about 1-2 s) to be killed in the middle.
$node->safe_psql('postgres', qq{
SELECT pgmig.add(format('r%s', lpad(i::text, 3, '0')),
                 CASE WHEN i = 1 THEN '{}'::text[] ELSE ARRAY[format('r%s', lpad((i - 1)::text, 3, '0'))] END,
                 format('CREATE TABLE t_%s (id int PRIMARY KEY, v text);
INSERT INTO t_%s SELECT g, md5(g::text) FROM generate_series(1, 50) g;%s', i, i,
                        CASE WHEN i % 3 = 0 THEN E'\\nSELECT pg_sleep(0.01);' ELSE '' END),
                 format('DROP TABLE t_%s;', i),
                 format('Revision %s', i))
  FROM generate_series(1, $N) i;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.revision'), $N, "$N revisions loaded");

# the applied prefix length, after checking that it matches the schema exactly
sub check_state
{
	my ($label) = @_;
	my $bad = $node->safe_psql('postgres', qq{
SELECT string_agg(format('%s: applied=%s table=%s rows=%s', i, a, t, n), '; ')
  FROM (SELECT i,
               EXISTS (SELECT 1 FROM pgmig.applied WHERE revision = format('r%s', lpad(i::text, 3, '0'))) AS a,
               to_regclass(format('public.t_%s', i)) IS NOT NULL AS t,
               (xpath('/row/n/text()', query_to_xml(
                   CASE WHEN to_regclass(format('public.t_%s', i)) IS NOT NULL
                        THEN format('SELECT count(*) AS n FROM t_%s', i) ELSE 'SELECT 50 AS n' END,
                   false, true, '')))[1]::text::int AS n
          FROM generate_series(1, $N) i) s
 WHERE a <> t OR n <> 50});
	is($bad, '', "$label: applied set matches the schema exactly");
	my $applied = $node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.applied');
	my $maxapplied = $node->safe_psql('postgres',
		"SELECT coalesce(max(substr(revision, 2)::int), 0) FROM pgmig.applied");
	is($applied, $maxapplied, "$label: the applied set is a prefix (r001..r$maxapplied)");
	is($node->safe_psql('postgres', "SELECT count(*) FROM pgmig.check() WHERE severity = 'error'"),
		'0', "$label: check() reports no errors");
	return $applied;
}

# set the starting state: the first $k revisions applied, committed
sub set_state
{
	my ($k) = @_;
	my $cur = $node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.applied');
	my $t = sprintf('r%03d', $k);
	if ($k == 0) { $node->safe_psql('postgres', "SET client_min_messages = warning; SELECT pgmig.downgrade('base')") if $cur > 0; }
	elsif ($k > $cur) { $node->safe_psql('postgres', "SET client_min_messages = warning; SELECT pgmig.upgrade('$t')"); }
	elsif ($k < $cur) { $node->safe_psql('postgres', "SET client_min_messages = warning; SELECT pgmig.downgrade('$t')"); }
	is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.applied'), $k, "start state: $k applied");
}

# Start $sql in a background psql, wait until it runs, let it run for a
# random time, then crash: 'kill' (SIGKILL of its backend) or 'immediate'
# (immediate shutdown of the server, then a start).  Returns whether the
# crash hit the statement while it was still running.
sub crash_during
{
	my ($sql, $how) = @_;
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
		  '-c', "SET application_name = 'pgmig_crash_victim'", '-c', "SET client_min_messages = warning", '-c', $sql ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	my $pid = '';
	for (1 .. 2000)
	{
		$pid = $node->safe_psql('postgres',
			"SELECT pid FROM pg_stat_activity WHERE application_name = 'pgmig_crash_victim' AND state = 'active' AND query LIKE '%pgmig.%'");
		last if $pid ne '' || !$h->pumpable;
		usleep(5_000);
	}
	my $delay = int(rand(600_000));
	usleep($delay);
	my $running = $pid ne '' && $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND state = 'active'") eq '1';
	if ($how eq 'immediate')
	{
		$node->stop('immediate');
		$node->start;
	}
	elsif ($pid ne '')
	{
		kill 'KILL', $pid;
		# wait until the postmaster has reaped it: from then on it is in
		# crash-restart mode, so the poll below cannot slip in before it
		for (1 .. 3000)
		{
			last unless kill 0, $pid;
			usleep(10_000);
		}
	}
	eval { $h->finish; };
	$h->kill_kill if $@;
	note sprintf("%s after %d ms: %s (psql said: %s)", $how, $delay / 1000,
		$running ? 'hit the run' : 'run had already finished', $err =~ s/\n/ /gr);
	# wait for crash recovery to end and connections to be accepted again
	$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
	return $running;
}

my $hits = 0;
my $iterations = 6;
for my $it (1 .. $iterations)
{
	my $k = int(rand(100));
	set_state($k);
	my $how = $it == 3 ? 'immediate' : 'kill';
	my $hit = crash_during("SELECT pgmig.upgrade('head')", $how);
	$hits++ if $hit;
	my $after = check_state("upgrade, iteration $it ($how)");
	# (whether the crash beat the COMMIT is a race: both outcomes are fine,
	# anything in between is not)
	ok($after == $k || $after == $N, "upgrade is atomic: $after applied is either the start ($k) or all ($N)");
}
note "$hits of $iterations crashes hit a running upgrade";

is($node->safe_psql('postgres', "SET client_min_messages = warning; SELECT pgmig.upgrade('head') >= 0"),
	't', 'a rerun of upgrade completes');
is(check_state('after the rerun'), $N, 'everything applied after the rerun');

# CALL pgmig.migrate(): commits per revision
SKIP:
{
	my $has = $node->safe_psql('postgres',
		"SELECT to_regprocedure('pgmig.migrate(text,boolean)') IS NOT NULL");
	skip 'pgmig.migrate(text,boolean) does not exist in the installed pgmig', 1
	  unless $has eq 't';

	for my $it (1 .. 4)
	{
		my $k = int(rand(100));
		set_state($k);
		my $how = $it == 2 ? 'immediate' : 'kill';
		crash_during("CALL pgmig.migrate('head')", $how);
		my $after = check_state("migrate, iteration $it ($how)");
		ok($after >= $k && $after <= $N, "migrate kept a prefix: $k <= $after <= $N");
	}
	$node->safe_psql('postgres', "SET client_min_messages = warning; CALL pgmig.migrate('head')");
	is(check_state('after a migrate rerun'), $N, 'everything applied after the migrate rerun');
}

$node->stop;
done_testing();
