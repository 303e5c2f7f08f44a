# portcullis: a TLS-enforcing gateway for XMPP servers.
#
# make            build build/portcullis and build/portcullis-ctl
# make check      every test: units, examples, man pages, integration, fuzz
# make demo       a legacy server, portcullis in front, a real client
# make bench      benchmarks side by side with peers (see test/bench/)
# make sanitize   units and integration under ASan and UBSan
# make memcheck   integration scenarios with the daemon under valgrind
# make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60)
#
# Everything built goes under $(B) (default build/).  Missing Debian
# packages are installed by test/deps.sh, which does nothing when all
# are present.

PKG_CONFIG	?= pkg-config
CC		?= cc
B		?= build

PKGS_XS		 = libxml-2.0
PKGS_POL	 = libconfig gnutls libidn2
PKGS_CS		 = gnutls gnutls-dane libidn2
PKGS		 = libuv gnutls gnutls-dane libxml-2.0 ldns libidn2 libconfig

VERSION		 = 0.1.0

WARN		 = -Wall -Wextra -Werror -Wformat=2 -Wshadow \
		   -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
		   -Wvla -Wno-unused-parameter
CFLAGS		?= -O2 -g
ALL_CFLAGS	 = -std=c11 -D_GNU_SOURCE -DPORTCULLIS_VERSION='"$(VERSION)"' \
		   $(WARN) $(CFLAGS) -MMD -MP -I.
LDFLAGS		?=

pc_cflags	 = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs		 = $(shell $(PKG_CONFIG) --libs $(1))

XS_SRC		 = $(wildcard xmlstream/*.c)
POL_SRC		 = $(wildcard policy/*.c)
CS_SRC		 = $(wildcard certstore/*.c)
PROXY_SRC	 = $(wildcard proxy/*.c)

XS_OBJ		 = $(XS_SRC:%.c=$(B)/%.o)
POL_OBJ		 = $(POL_SRC:%.c=$(B)/%.o)
CS_OBJ		 = $(CS_SRC:%.c=$(B)/%.o)
PROXY_OBJ	 = $(PROXY_SRC:%.c=$(B)/%.o)

LIBXS		 = $(B)/libxmlstream.a
LIBPOL		 = $(B)/libpolicy.a
LIBCS		 = $(B)/libcertstore.a
DAEMON		 = $(B)/portcullis
CTL		 = $(B)/portcullis-ctl

UNIT_SRC	 = $(wildcard test/unit/*/t_*.c)
UNIT_BIN	 = $(UNIT_SRC:test/unit/%.c=$(B)/test/unit/%)

.PHONY: all deps check unit examples manlint lint integration demo bench \
	sanitize memcheck fuzz fuzz-build clean

all: $(DAEMON) $(CTL)

$(B)/xmlstream/%.o: xmlstream/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_XS)) -c -o $@ $<
$(B)/policy/%.o: policy/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_POL)) -c -o $@ $<
$(B)/certstore/%.o: certstore/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_CS)) -c -o $@ $<
$(B)/proxy/%.o: proxy/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS)) -c -o $@ $<

$(LIBXS): $(XS_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(LIBPOL): $(POL_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(LIBCS): $(CS_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(DAEMON): $(PROXY_OBJ) $(LIBXS) $(LIBPOL) $(LIBCS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(PROXY_OBJ) $(LIBXS) $(LIBPOL) \
	    $(LIBCS) $(call pc_libs,$(PKGS)) -lpthread

# The control client needs only the policy reader, to find the socket.
$(CTL): ctl/portcullis-ctl.c $(LIBPOL)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_POL)) $(LDFLAGS) -o $@ $< \
	    $(LIBPOL) $(call pc_libs,$(PKGS_POL))

# Unit tests link only their own leaf and its libraries, so a stray call
# into another module or libuv fails to link.
$(B)/test/unit/xmlstream/%: test/unit/xmlstream/%.c $(LIBXS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_XS) check) -o $@ $< \
	    $(LIBXS) $(call pc_libs,$(PKGS_XS) check)
$(B)/test/unit/policy/%: test/unit/policy/%.c $(LIBPOL)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_POL) check) -o $@ $< \
	    $(LIBPOL) $(call pc_libs,$(PKGS_POL) check)
$(B)/test/unit/certstore/%: test/unit/certstore/%.c $(LIBCS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_CS) check) -o $@ $< \
	    $(LIBCS) $(call pc_libs,$(PKGS_CS) check)
$(B)/test/unit/proxy/%: test/unit/proxy/%.c $(PROXY_OBJ) $(LIBXS) $(LIBPOL) $(LIBCS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS) check) -o $@ $< \
	    $(filter-out $(B)/proxy/main.o,$(PROXY_OBJ)) $(LIBXS) $(LIBPOL) \
	    $(LIBCS) $(call pc_libs,$(PKGS) check) -lpthread

deps:
	@sh test/deps.sh build

unit: deps $(UNIT_BIN)
	@sh test/run-units.sh $(UNIT_BIN)

examples: deps $(DAEMON)
	@sh test/check-examples.sh $(DAEMON)

manlint: deps
	@mandoc -Tlint -W warning man/*.[0-9]

lint: deps
	@sh test/deps.sh lint
	@sh test/lint.sh

integration: deps $(DAEMON) $(CTL)
	@sh test/deps.sh integration
	@PORTCULLIS=$(CURDIR)/$(DAEMON) sh test/integration/run.sh

CHECK_FUZZ_SECONDS ?= 10
check: deps all unit examples manlint lint integration
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	@echo "make check: all tests passed"

demo: deps $(DAEMON)
	@sh test/deps.sh integration
	@PORTCULLIS=$(CURDIR)/$(DAEMON) sh test/demo.sh

sanitize:
	@$(MAKE) --no-print-directory B=build/sanitize \
	    CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" unit integration

memcheck: deps $(DAEMON)
	@sh test/deps.sh integration memcheck
	@sh test/memcheck.sh $(DAEMON)

FUZZ_SECONDS	?= 60
fuzz-build:
	@sh test/deps.sh fuzz
	@$(MAKE) --no-print-directory -f test/fuzz/fuzz.mk B=build/fuzz
fuzz: fuzz-build
	@sh test/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

bench:
	@sh test/deps.sh build bench
	@$(MAKE) --no-print-directory B=build/release CFLAGS="-O3 -g" all
	@$(MAKE) --no-print-directory -f test/bench/bench.mk B=build/release
	@sh test/bench/run.sh build/release

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
