# fuzz.mk: libFuzzer targets (clang 14, Debian's libclang-rt-14-dev), included
# by the main Makefile.  See tests/fuzz/README.md.
#   make fuzz FUZZ_SECONDS=N   build every target, run each N seconds (default 60)
#                              on a copy of its seed corpus in build/fuzz/corpus-<t>
#   make fuzz-corpus           build them and run each once over its seeds (make check)

FUZZ_CC ?= $(shell command -v clang-14 2>/dev/null || echo clang)
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build/fuzz
FUZZ_PKGS = clang-14 libclang-rt-14-dev
FUZZ_TARGETS = line command article wildmat date session
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread -g -O1 $(FUZZ_SAN) \
	$(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
# Harnesses are held to the project's warning flags; the code under test is
# built by gcc with -Werror elsewhere, so clang-only warnings there do not stop fuzzing.
FUZZ_WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wvla -Wwrite-strings \
	-Wmissing-prototypes -Wno-unused-parameter
# Options for every run: bounded time per input, crash files kept in build/fuzz.
FUZZ_RUN_OPTS = -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
# fuzz_session's database lives in a temporary folder: tmpfs when there is one
# (the store commits with synchronous=FULL, and every fsync would cost).
FUZZ_TMP ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm || echo /tmp)
FUZZ_ENV = TMPDIR=$(FUZZ_TMP) ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

FUZZ_PROTO_OBJ = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(wildcard proto/*.c))
FUZZ_DAEMON_OBJ = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out daemon/main.c,$(wildcard daemon/*.c)))
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_HEADERS = $(wildcard proto/*.h daemon/*.h)

.PHONY: fuzz fuzz-corpus fuzz-build fuzz-deps

# Install the compiler and the fuzzer runtime when missing (root only), like `deps`.
fuzz-deps:
	@$(call install_missing,$(FUZZ_PKGS))

fuzz-build: fuzz-deps
	$(MAKE) $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_session: tests/fuzz/fuzz_session.c $(FUZZ_DAEMON_OBJ) $(FUZZ_PROTO_OBJ) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_DAEMON_OBJ) $(FUZZ_PROTO_OBJ) $(LDLIBS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_PROTO_OBJ) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -fsanitize=fuzzer -o $@ $< $(FUZZ_PROTO_OBJ) $(LDLIBS)

# Each target N seconds on a copy of its seeds; new inputs stay in build/fuzz.
fuzz: fuzz-build
	@fail=""; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
		cp -n tests/fuzz/corpus/$$t/* $(FUZZ_BUILD)/corpus-$$t/ 2>/dev/null; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS)s"; \
		$(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$t $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(FUZZ_BUILD)/crash-$$t- $(FUZZ_BUILD)/corpus-$$t \
			> $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || fail="$$fail $$t"; \
		tail -n 12 $(FUZZ_BUILD)/fuzz_$$t.log | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' ; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: crashes in:$$fail (see $(FUZZ_BUILD)/fuzz_*.log, $(FUZZ_BUILD)/crash-*)"; exit 1; fi

# Every seed once, as `make check` does; non-zero on any crash.
fuzz-corpus: fuzz-build
	@fail=""; ok=0; bad=0; for t in $(FUZZ_TARGETS); do \
		if $(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$t $(FUZZ_RUN_OPTS) tests/fuzz/corpus/$$t/* \
			> $(FUZZ_BUILD)/corpus_$$t.log 2>&1; then \
			echo "fuzz-corpus: $$t ok ($$(ls tests/fuzz/corpus/$$t | wc -l) inputs)"; ok=$$((ok + 1)); \
		else \
			echo "fuzz-corpus: $$t FAILED"; tail -n 40 $(FUZZ_BUILD)/corpus_$$t.log; fail="$$fail $$t"; \
			bad=$$((bad + 1)); \
		fi; \
	done; \
	echo "$$ok passed, $$bad failed"; \
	if [ -n "$$fail" ]; then echo "fuzz-corpus: failures in:$$fail"; exit 1; fi
