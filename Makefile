# moot: one plain Makefile (STYLE.md habit 13).
#   make                 build mootd (and the unit tests) into build/
#   make run             install missing packages, build, run mootd on loopback
#   make check           the same set-up, then unit + integration tests, then again under ASan+UBSan,
#                        then every fuzz target once over its seed corpus
#   make asan            unit + integration tests built with SANITIZE=address,undefined
#   make install         PREFIX=/usr/local DESTDIR=
#   make DEVELOPER=1     warnings are errors
#   make SANITIZE=address,undefined BUILD=build/asan

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
PYTHON ?= /usr/bin/python3
PKGS = libuv1-dev libssl-dev libsqlite3-dev libyaml-dev pkg-config python3 make gcc
PKG_LIBS = libuv openssl sqlite3 yaml-0.1

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -pthread
CFLAGS += $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null || echo -luv -lssl -lcrypto -lsqlite3 -lyaml)
ifdef DEVELOPER
CFLAGS += -Wall -Wextra -Werror -Wstrict-prototypes -Wvla -Wwrite-strings -Wmissing-prototypes
CFLAGS += -Wno-unused-parameter
endif
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

PROTO_SRC = \
	proto/buf.c \
	proto/line.c \
	proto/command.c \
	proto/wildmat.c \
	proto/date.c \
	proto/article.c \
	proto/tls.c

DAEMON_SRC = \
	daemon/main.c \
	daemon/config.c \
	daemon/groups.c \
	daemon/listen.c \
	daemon/session.c \
	daemon/reader.c \
	daemon/ingest.c \
	daemon/syncer.c \
	daemon/transit.c \
	daemon/feed.c \
	daemon/auth.c \
	daemon/community.c \
	daemon/metrics.c \
	daemon/store.c \
	daemon/msgtail.c \
	daemon/pagecache.c \
	daemon/walvfs.c \
	daemon/writer.c

CLIENT_SRC = \
	client/main.c \
	client/conf.c \
	client/conn.c \
	client/newsrc.c \
	client/thread.c \
	client/post.c \
	client/json.c

UNIT_SRC = \
	tests/unit/main.c \
	tests/unit/test_buf.c \
	tests/unit/test_line.c \
	tests/unit/test_command.c \
	tests/unit/test_wildmat.c \
	tests/unit/test_date.c \
	tests/unit/test_article.c \
	tests/unit/test_tls.c \
	tests/unit/test_store.c \
	tests/unit/test_syncer.c \
	tests/unit/test_writer.c \
	tests/unit/test_walvfs.c \
	tests/unit/test_msgtail.c \
	tests/unit/test_pagecache.c \
	tests/unit/test_config.c \
	tests/unit/test_newsrc.c \
	tests/unit/test_thread.c

PROTO_OBJ = $(PROTO_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CLIENT_OBJ = $(CLIENT_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/%.o)
HEADERS = $(wildcard proto/*.h daemon/*.h client/*.h tests/unit/*.h)

.PHONY: all deps test-deps run check test unit integration asan install clean

all: $(BUILD)/mootd $(BUILD)/moot $(BUILD)/unit

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/mootd: $(DAEMON_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/moot: $(CLIENT_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit: $(UNIT_OBJ) $(PROTO_OBJ) $(BUILD)/daemon/store.o $(BUILD)/daemon/msgtail.o $(BUILD)/daemon/pagecache.o $(BUILD)/daemon/walvfs.o $(BUILD)/daemon/syncer.o $(BUILD)/daemon/writer.o \
		$(BUILD)/daemon/config.o \
		$(BUILD)/client/newsrc.o $(BUILD)/client/thread.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# $(call install_missing,PACKAGES): install the Debian packages that are not
# there yet, only when root; otherwise name them and fail.  (Also used by
# tests/fuzz/fuzz.mk and tests/valgrind.mk.)
install_missing = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "missing packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; \
		fi; \
	fi

# Install what is missing (Debian 12), only when root and only if missing.
deps:
	@$(call install_missing,$(PKGS))

# What only the tests need: CPython's own test suite, whose networked nntplib
# tests run against mootd (tests/integration/19_cpython_nntplib.py).
test-deps: deps
	@$(call install_missing,libpython3.$$($(PYTHON) -c 'import sys; print(sys.version_info[1])')-testsuite)

run: deps
	$(MAKE) $(BUILD)/mootd $(BUILD)/moot
	$(BUILD)/mootd

unit: $(BUILD)/unit
	$(BUILD)/unit

integration: $(BUILD)/mootd $(BUILD)/moot
	$(PYTHON) tests/integration/run.py --mootd $(BUILD)/mootd --moot $(BUILD)/moot

test: unit integration

asan:
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined DEVELOPER=1 test

check: test-deps
	$(MAKE) DEVELOPER=1 test
	$(MAKE) asan
	$(MAKE) fuzz-corpus

install: $(BUILD)/mootd $(BUILD)/moot
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/doc/moot
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/mootd $(DESTDIR)$(PREFIX)/sbin/mootd
	install -m 755 $(BUILD)/moot $(DESTDIR)$(PREFIX)/bin/moot
	install -m 644 docs/moot.1 $(DESTDIR)$(PREFIX)/share/man/man1/moot.1
	install -m 644 docs/mootd.8 $(DESTDIR)$(PREFIX)/share/man/man8/mootd.8
	install -m 644 conf/mootd.yaml $(DESTDIR)$(PREFIX)/share/doc/moot/mootd.yaml.example

clean:
	rm -rf build

# Fuzzing (libFuzzer, clang): make fuzz FUZZ_SECONDS=N; make fuzz-corpus runs each corpus once.
-include tests/fuzz/fuzz.mk
# Benchmarks (not tests): build/moot-bench and bench/compare.sh.
-include bench/bench.mk
# The integration suite with mootd under valgrind: make valgrind.
-include tests/valgrind.mk
