# pgmig: PGXS build of the extension, the pgmig client, and every test suite.
#
#   make                      build extension and client
#   make install              install both (client: see src/client/Makefile)
#   make installcheck         pg_regress + isolation + TAP against a running server
#   make unitcheck            unit tests of the server-free core
#   make fuzz                 build libFuzzer harnesses (clang)

EXTENSION = pgmig
MODULE_big = pgmig
# Extension scripts live in sql/.  The newest update script is assembled from
# one fragment per capability (sql/0.4/NN_name.sql), so parallel work on
# different capabilities never edits the same file.
EXTVERSION = $(shell sed -n "s/^default_version = '\\(.*\\)'/\\1/p" pgmig.control)
DATA = $(filter-out sql/pgmig--0.3--0.4.sql,$(wildcard sql/pgmig--*.sql))
DATA_built = sql/pgmig--0.3--0.4.sql

CORE_SRCS = $(filter-out src/core/alloc_std.c,$(wildcard src/core/*.c))
CORE_OBJS = $(CORE_SRCS:.c=.o)
SERVER_SRCS = $(wildcard src/*.c)
OBJS = $(SERVER_SRCS:.c=.o) $(CORE_OBJS)

PG_CPPFLAGS = -I$(srcdir)/src -std=gnu99
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers $(PGMIG_CFLAGS)

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=$(srcdir)/test

ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

EXTRA_CLEAN = test/unit/bin test/fuzz/bin output_iso tmp_check

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/pgmig--0.3--0.4.sql: $(sort $(wildcard sql/0.4/*.sql))
	cat $^ > $@

# PGXS tracks no header dependencies: every object depends on every header
$(OBJS): $(wildcard src/*.h src/core/*.h)

ifeq ($(MAJORVERSION),13)
# PG13's PGXS ships no pg_isolation_regress
ISOLATION =
endif

# ---- the pgmig client: a PGXS PROGRAM of its own (src/client/Makefile) ----
# It gets the extension's version, so `pgmig -V` matches pgmig.control.
# PostgreSQL 13 has no fe_utils/option_utils.h: there only the extension is built.
CLIENT_MAKE = $(MAKE) -C src/client PG_CONFIG='$(PG_CONFIG)' PGMIG_VERSION='$(EXTVERSION)'

ifneq ($(MAJORVERSION),13)
all: client
install: install-client
uninstall: uninstall-client
clean: clean-client
endif

client:
	+$(CLIENT_MAKE)

install-client: client
	+$(CLIENT_MAKE) install

uninstall-client:
	+$(CLIENT_MAKE) uninstall

clean-client:
	+$(CLIENT_MAKE) clean

# ---- unit tests of the core: plain C, no server ----
UNIT_SRCS = $(wildcard test/unit/test_*.c)
UNIT_BINS = $(patsubst test/unit/%.c,test/unit/bin/%,$(UNIT_SRCS))
UNIT_CFLAGS = -std=gnu99 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -fsanitize=address,undefined -fno-omit-frame-pointer -I$(srcdir)/src/core -I$(srcdir)/test/unit

test/unit/bin/%: test/unit/%.c $(wildcard src/core/*.c src/core/*.h) test/unit/unit.h test/unit/graph_fixture.h
	@mkdir -p test/unit/bin
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(wildcard src/core/*.c)

unitcheck: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# ---- libFuzzer harnesses (clang) ----
FUZZ_SRCS = $(wildcard test/fuzz/fuzz_*.c)
FUZZ_BINS = $(patsubst test/fuzz/%.c,test/fuzz/bin/%,$(FUZZ_SRCS))
FUZZ_CC ?= clang

test/fuzz/bin/%: test/fuzz/%.c $(wildcard src/core/*.c src/core/*.h)
	@mkdir -p test/fuzz/bin
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$(srcdir)/src/core -o $@ $< $(wildcard src/core/*.c)

fuzz: $(FUZZ_BINS)

.PHONY: unitcheck fuzz client install-client uninstall-client clean-client
