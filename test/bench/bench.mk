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

all: $(BD)/loadgen $(BD)/minrelay $(BD)/backend $(BD)/bench_xs

$(BD)/%: test/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LIBS)

# The parser benchmark is compiled with the sources it measures.
XS_SRC		 = $(wildcard xmlstream/*.c)
XS_HDR		 = $(wildcard xmlstream/*.h)
$(BD)/bench_xs: test/bench/bench_xs.c $(XS_SRC) $(XS_HDR)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -O3 -I. $(shell $(PKG_CONFIG) --cflags libxml-2.0) \
	    -o $@ test/bench/bench_xs.c $(XS_SRC) \
	    $(shell $(PKG_CONFIG) --libs libxml-2.0)

.PHONY: all
