# pgmig survives pg_dump -Fc / pg_restore: every revision row (with its
# checksum), the applied set and the journal come back unchanged, status()
# and check() agree before and after, and the restored database can go on
# upgrading.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
CREATE EXTENSION pgmig;
-- a root, a CRLF script with trailing blanks, two labelled branches, a
-- merge, a depends_on, an irreversible revision, and one loaded from a file
SELECT pgmig.add('r1', '{}', 'CREATE TABLE account (id int PRIMARY KEY, name text);',
                 'DROP TABLE account;', 'Create account');
SELECT pgmig.add('r2', '{r1}', E'ALTER TABLE account ADD COLUMN email text;   \r\n\r\n',
                 E'ALTER TABLE account DROP COLUMN email;\r\n', 'Add email');
SELECT pgmig.add('r3a', '{r2}', 'CREATE TABLE audio (id int PRIMARY KEY);',
                 'DROP TABLE audio;', 'Audio branch', '{audio}');
SELECT pgmig.add('r3b', '{r2}', 'CREATE TABLE video (id int PRIMARY KEY);',
                 'DROP TABLE video;', 'Video branch', '{video}');
SELECT pgmig.add('r4', '{r3a,r3b}', '', '', 'Merge audio and video');
SELECT pgmig.add('r5', '{r4}', 'CREATE INDEX account_email ON account (email);',
                 'DROP INDEX account_email;', 'Index email', '{}', '{r3a}');
SELECT pgmig.add('r6', '{r5}', 'INSERT INTO account VALUES (1, ''x'', ''x@example.org'');',
                 NULL, 'Irreversible seed');
SELECT pgmig.load(E'-- revision: r7\n-- down_revision: r6\n-- message: Seven from a file\n\n-- migrate:up\nCREATE TABLE seven (id int);\n\n-- migrate:down\nDROP TABLE seven;\n');
});

# some applied, some pending, and a downgrade in the journal
$node->safe_psql('src', q{
SELECT pgmig.upgrade('r3a');
SELECT pgmig.upgrade('r4');
SELECT pgmig.downgrade('r3a');
});
is($node->safe_psql('src', 'SELECT string_agg(revision, \',\' ORDER BY revision) FROM pgmig.applied'),
	'r1,r2,r3a,r3b', 'applied set before the dump');

# with the guard (extension version 0.2+), one piece of drift: DDL run by hand
my $has_drift = $node->safe_psql('src', "SELECT to_regclass('pgmig.drift') IS NOT NULL") eq 't';
$node->safe_psql('src', "SET client_min_messages = error; SET pgmig.guard = 'warn'; CREATE TABLE by_hand (id int)")
  if $has_drift;

my %q = (
	revision => 'SELECT row_to_json(r)::text FROM pgmig.revision r ORDER BY id',
	applied => 'SELECT row_to_json(a)::text FROM pgmig.applied a ORDER BY revision',
	journal => 'SELECT row_to_json(j)::text FROM pgmig.journal j ORDER BY id',
	status => 'SELECT row_to_json(s)::text FROM pgmig.status() s',
	check => 'SELECT row_to_json(c)::text FROM pgmig.check() c ORDER BY 1',
	history => 'SELECT row_to_json(h)::text FROM pgmig.history() h',
	heads => 'SELECT row_to_json(h)::text FROM pgmig.heads() h ORDER BY 1',
	current => 'SELECT row_to_json(c)::text FROM pgmig.current() c ORDER BY 1',
	sequences => 'SELECT (SELECT last_value FROM pgmig.revision_seq) || \'/\' || (SELECT last_value FROM pgmig.journal_id_seq)',
);
$q{drift} = 'SELECT row_to_json(d)::text FROM pgmig.drift d ORDER BY id' if $has_drift;
my %before = map { $_ => $node->safe_psql('src', $q{$_}) } keys %q;
like($before{check}, qr/irreversible|r6/i, 'check() reports something (the irreversible revision) before the dump');
cmp_ok(scalar(split /\n/, $before{journal}), '>=', 10, 'journal has rows before the dump');

my $dump = $node->basedir . '/src.dump';
command_ok([ 'pg_dump', '-Fc', '-h', $node->host, '-p', $node->port, '-d', 'src', '-f', $dump ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
my ($rc, $out, $err) = (undef, '', '');
$rc = IPC::Run::run([ 'pg_restore', '-h', $node->host, '-p', $node->port, '-d', 'dst', $dump ],
	'>', \$out, '2>', \$err);
ok($rc, 'pg_restore succeeds') or diag($err);
is($err, '', 'pg_restore prints no errors or warnings');

is($node->safe_psql('dst', "SELECT extversion FROM pg_extension WHERE extname = 'pgmig'"),
	$node->safe_psql('src', "SELECT extversion FROM pg_extension WHERE extname = 'pgmig'"),
	'the extension was created by the restore');

for my $what (qw(revision applied journal status check history heads current sequences),
	($has_drift ? ('drift') : ()))
{
	is($node->safe_psql('dst', $q{$what}), $before{$what}, "$what identical after restore");
}
is($node->safe_psql('dst',
	'SELECT count(*) FROM pgmig.revision WHERE checksum <> pgmig.checksum(upgrade, downgrade, transactional)'),
	'0', 'restored checksums match the server-side computation');

# the restored database carries on
is($node->safe_psql('dst', "SET client_min_messages = warning; SELECT pgmig.upgrade('heads')"),
	'4', "upgrade('heads') in the restored database runs the 4 pending revisions");
is($node->safe_psql('dst', 'SELECT string_agg(revision, \',\' ORDER BY revision) FROM pgmig.applied'),
	'r1,r2,r3a,r3b,r4,r5,r6,r7', 'everything applied after the upgrade');
is($node->safe_psql('dst', "SELECT to_regclass('public.seven') IS NOT NULL AND to_regclass('public.account_email') IS NOT NULL"),
	't', 'the pending revisions\' objects exist');
is($node->safe_psql('dst', "SELECT count(*) FROM pgmig.check() WHERE severity = 'error'"),
	'0', 'check() has no errors after the upgrade');
my $newid = $node->safe_psql('dst', "SELECT pgmig.new_revision('after restore', 'SELECT 1', 'SELECT 1')");
is($node->safe_psql('dst', "SELECT seq > (SELECT max(seq) FROM pgmig.revision WHERE id <> '$newid') FROM pgmig.revision WHERE id = '$newid'"),
	't', 'the revision sequence continues after the restore');

# the source is untouched by all this
is($node->safe_psql('src', $q{applied}), $before{applied}, 'source applied set unchanged');

$node->stop;
done_testing();
