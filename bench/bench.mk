# bench.mk: build/moot-bench, the NNTP load generator (bench/moot-bench.c on
# the shared proto/ layer).  Included from the main Makefile; not part of
# `make all`.  Run the INN comparison with bench/compare.sh (as root).
#   make bench             build $(BUILD)/moot-bench (and $(BUILD)/mootd)
#   make bench-compare     build, then run bench/compare.sh

BENCH_SRC = bench/moot-bench.c
BENCH_OBJ = $(BENCH_SRC:%.c=$(BUILD)/%.o)

.PHONY: bench bench-compare

bench: $(BUILD)/moot-bench $(BUILD)/mootd

$(BUILD)/moot-bench: $(BENCH_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-compare: bench
	BUILD=$(BUILD) bench/compare.sh

# The community health figures on 1,000,000 articles (issue: under 100 ms).
.PHONY: bench-stats
$(BUILD)/stats-bench: bench/stats-bench.c $(BUILD)/daemon/store.o $(BUILD)/daemon/pagecache.o $(BUILD)/daemon/walvfs.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-stats: $(BUILD)/stats-bench
	$(BUILD)/stats-bench
