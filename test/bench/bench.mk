# test/bench/bench.mk: build the benchmarks into $(B)/bench/.
#
#	make -f test/bench/bench.mk B=build/release
#
# A benchmark is compiled together with the sources it measures, with
# the flags below, rather than linked with a library built for the tests.
# test/bench/run.sh builds what its sections need through this file.

B		?= build/release
CC		?= cc
PKG_CONFIG	?= pkg-config

BENCH_CFLAGS	 = -std=c11 -D_GNU_SOURCE -O3 -g -I. \
		   -Wall -Wextra -Werror -Wformat=2 -Wshadow \
		   -Wno-unused-parameter

XS_SRC		 = $(wildcard xmlstream/*.c)
XS_HDR		 = $(wildcard xmlstream/*.h)

.PHONY: all clean
all: $(B)/bench/bench_xs

$(B)/bench/bench_xs: test/bench/bench_xs.c $(XS_SRC) $(XS_HDR)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(shell $(PKG_CONFIG) --cflags libxml-2.0) \
	    -o $@ test/bench/bench_xs.c $(XS_SRC) \
	    $(shell $(PKG_CONFIG) --libs libxml-2.0)

clean:
	rm -rf $(B)/bench
