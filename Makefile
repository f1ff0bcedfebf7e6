# pgmig: PGXS build of the extension, the pgmig client, and every test suite.
#
#   make                      build extension and client
#   make install              install both (client into `pg_config --bindir`)
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

EXTRA_CLEAN = src/client/pgmig src/client/*.o src/core/alloc_std.o test/unit/bin test/fuzz/bin output_iso tmp_check

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

# ---- the pgmig client (a second program; PGXS builds one module per OBJS) ----
CLIENT_SRCS = $(wildcard src/client/*.c)
CLIENT_OBJS = $(CLIENT_SRCS:.c=.o)
CLIENT_CORE = $(CORE_OBJS) src/core/alloc_std.o
LIBPQ_INC = -I$(shell $(PG_CONFIG) --includedir)
LIBPQ_LIB = -L$(shell $(PG_CONFIG) --libdir) -lpq

$(CLIENT_OBJS): $(wildcard src/client/*.h src/core/*.h)

src/client/%.o: src/client/%.c
	$(CC) $(CFLAGS) $(PG_CFLAGS) -std=gnu99 -I$(srcdir)/src $(LIBPQ_INC) -c -o $@ $<

src/core/alloc_std.o: src/core/alloc_std.c
	$(CC) $(CFLAGS) $(PG_CFLAGS) -std=gnu99 -c -o $@ $<

src/client/pgmig: $(CLIENT_OBJS) $(CLIENT_CORE)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBPQ_LIB) $(LDFLAGS)

ifneq ($(CLIENT_SRCS),)
all: src/client/pgmig
install: install-client
endif

install-client: src/client/pgmig
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) src/client/pgmig '$(DESTDIR)$(bindir)/pgmig'

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

.PHONY: unitcheck fuzz install-client
