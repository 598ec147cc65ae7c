# The integration suite with every mootd under valgrind (memcheck).
# Included from the Makefile (-include tests/valgrind.mk).
#
#   make valgrind                        the whole suite (slow: 20+ minutes)
#   make valgrind VALGRIND_TESTS=15_     only tests whose name contains 15_ (run.py -k)
#
# mootd is built without sanitizers (-O1 -g, DEVELOPER=1) into build/valgrind and
# started by the harness behind MOOTD_WRAPPER.  A definite leak or a memory error
# makes valgrind exit 99 and prints "==PID== " lines into the server's log; the
# runner fails the test for either.  Timeouts are multiplied by MOOTD_TIMEOUT_MULT.
# valgrind is installed with apt-get when missing (only as root).

VALGRIND_BUILD ?= build/valgrind
VALGRIND_MULT ?= 10
VALGRIND_TESTS ?=
VALGRIND_CMD ?= valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--track-origins=no --num-callers=30 -q

.PHONY: valgrind valgrind-build valgrind-deps

valgrind-deps: deps
	@$(call install_missing,valgrind)

# CFLAGS through the environment so the Makefile's += still adds -std=c11 etc.
valgrind-build:
	CFLAGS="-O1 -g" $(MAKE) BUILD=$(VALGRIND_BUILD) DEVELOPER=1 \
		$(VALGRIND_BUILD)/mootd $(VALGRIND_BUILD)/moot

valgrind: valgrind-deps
	$(MAKE) valgrind-build
	MOOTD_WRAPPER="$(VALGRIND_CMD)" MOOTD_TIMEOUT_MULT=$(VALGRIND_MULT) \
		$(PYTHON) tests/integration/run.py -v --mootd $(VALGRIND_BUILD)/mootd \
		--moot $(VALGRIND_BUILD)/moot $(if $(VALGRIND_TESTS),-k '$(VALGRIND_TESTS)')
