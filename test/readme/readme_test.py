#!/usr/bin/env python3
"""Run every example of README.md, in order, and check what it prints.

    python3 test/readme/readme_test.py README.md

Runs against the server given by the libpq environment (test/with_cluster.sh
sets it), with `pgmig` and psql on PATH.  The README is the manual, so its
examples are tests; the conventions below keep the README readable:

* A fenced block tagged ``sql`` runs in psql (ON_ERROR_STOP) in the README's
  database (``readme``, created fresh when the run starts).
* A fenced block tagged ``sh`` runs in bash (``-e -o pipefail``) in a scratch
  folder that holds a copy of ``examples/``; PGDATABASE is the README's
  database.
* A fenced block tagged ``output`` right after one of those is what it must
  print: every non-blank line of it must appear in the output, in that order
  (other lines may come between), compared with runs of blanks collapsed.
  ``...`` in a line stands for any text (a time, a generated name): a line
  ending in ``...`` matches any line that starts with what precedes it.
* An HTML comment right before a block steers it:
  ``<!-- readme-test: skip REASON -->`` does not run it (say why: it
  installs software, or it is a synopsis, not an example);
  ``<!-- readme-test: fails -->`` expects a non-zero exit (an example of an
  error); ``<!-- readme-test: fresh -->`` recreates the database first;
  ``<!-- readme-test: db NAME -->`` runs it in database NAME (created when
  missing).
* Indented code is a display (a grammar, a file layout), never run.

Prints one TAP-style line per block ("ok N - README.md:LINE sql") and
"N passed, N failed" last; exits 1 on any failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r'^```(\w*)\s*$')
DIRECTIVE = re.compile(r'^<!--\s*readme-test:\s*(\w+)\s*(.*?)\s*-->\s*$')


def parse(path):
    """Yield (line, lang, text, directives, expected_output or None)."""
    lines = open(path, encoding='utf-8').read().split('\n')
    blocks = []
    directives = []
    i = 0
    while i < len(lines):
        m = DIRECTIVE.match(lines[i])
        if m:
            directives.append((m.group(1), m.group(2)))
            i += 1
            continue
        m = FENCE.match(lines[i])
        if not m:
            if lines[i].strip():
                directives = []
            i += 1
            continue
        lang, start = m.group(1), i + 1
        j = start
        while j < len(lines) and not lines[j].startswith('```'):
            j += 1
        body = '\n'.join(lines[start:j])
        if lang == 'output' and blocks and blocks[-1]['expect'] is None:
            blocks[-1]['expect'] = body
        else:
            blocks.append({'line': start, 'lang': lang, 'text': body,
                           'directives': directives, 'expect': None})
        directives = []
        i = j + 1
    return blocks


def norm(s):
    return re.sub(r'\s+', ' ', s).strip()


def matches(expect, actual):
    """Every expected line, in order, somewhere in the actual output."""
    got = [norm(l) for l in actual.split('\n')]
    pos = 0
    for want in (norm(l) for l in expect.split('\n')):
        if not want:
            continue
        # "..." is a wildcard; everything else is literal
        pattern = re.compile('.*'.join(re.escape(p) for p in want.split('...')) + r'\Z')
        while pos < len(got):
            g = got[pos]
            pos += 1
            if pattern.match(g):
                break
        else:
            return want
    return None


def psql(db, sql):
    return subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db],
                          input=sql, capture_output=True, text=True)


def make_db(db, fresh):
    if fresh:
        subprocess.run(['dropdb', '--if-exists', db], capture_output=True)
    subprocess.run(['createdb', db], capture_output=True)


def main():
    readme = sys.argv[1] if len(sys.argv) > 1 else 'README.md'
    root = os.path.dirname(os.path.abspath(readme))
    work = tempfile.mkdtemp(prefix='pgmig_readme.')
    os.chmod(work, 0o755)
    if os.path.isdir(os.path.join(root, 'examples')):
        shutil.copytree(os.path.join(root, 'examples'), os.path.join(work, 'examples'))
    made = set()
    passed = failed = 0
    make_db('readme', True)
    made.add('readme')
    for b in parse(readme):
        if b['lang'] not in ('sql', 'sh'):
            continue
        d = dict(b['directives'])
        name = 'README.md:%d %s' % (b['line'], b['lang'])
        n = passed + failed + 1
        if 'skip' in d:
            print('ok %d - %s # SKIP %s' % (n, name, d['skip']))
            passed += 1
            continue
        db = d.get('db') or 'readme'
        if 'fresh' in d or db not in made:
            make_db(db, True)
            made.add(db)
        if b['lang'] == 'sql':
            r = psql(db, b['text'])
        else:
            env = dict(os.environ, PGDATABASE=db)
            r = subprocess.run(['bash', '-e', '-o', 'pipefail', '-c', b['text']],
                               cwd=work, env=env, capture_output=True, text=True)
        out = r.stdout + r.stderr
        problem = None
        if 'fails' in d and r.returncode == 0:
            problem = 'expected a failure, it succeeded'
        elif 'fails' not in d and r.returncode != 0:
            problem = 'exit status %d' % r.returncode
        elif b['expect'] is not None:
            missing = matches(b['expect'], out)
            if missing:
                problem = 'output lacks: %s' % missing
        if problem:
            failed += 1
            print('not ok %d - %s: %s' % (n, name, problem))
            for l in out.rstrip('\n').split('\n')[-25:]:
                print('#   ' + l)
        else:
            passed += 1
            print('ok %d - %s' % (n, name))
    shutil.rmtree(work, ignore_errors=True)
    for db in made:
        subprocess.run(['dropdb', '--if-exists', db], capture_output=True)
    print('%d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
