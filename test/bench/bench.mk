# bench.mk: the benchmark's own programs, built apart from the daemon
# (nothing here is linked into it).  Used by `make bench`:
#   make -f test/bench/bench.mk B=build/release
CC		?= cc
PKG_CONFIG	?= pkg-config
B		?= build/release
BENCH_CFLAGS	 = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
		   -Wno-unused-parameter $(shell $(PKG_CONFIG) --cflags gnutls)
BENCH_LIBS	 = $(shell $(PKG_CONFIG) --libs gnutls) -lpthread
BD		 = $(B)/test/bench

all: $(BD)/loadgen $(BD)/minrelay $(BD)/backend

$(BD)/%: test/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LIBS)

.PHONY: all
