# test/fuzz/fuzz.mk: build every test/fuzz/fuzz_<name>.c as a libFuzzer
# binary $(B)/fuzz_<name>.  The top Makefile runs
#
#	make -f test/fuzz/fuzz.mk B=build/fuzz
#
# Each target is linked with the sources of the leaf it exercises, built
# with the same flags, so libFuzzer sees their coverage and ASan and UBSan
# watch them.  A target says what it needs with three optional variables,
# named after its file without .c:
#
#	fuzz_<name>_SRCS	sources compiled in with the target
#	fuzz_<name>_PKGS	pkg-config packages (cflags and libs)
#	fuzz_<name>_LIBS	anything else for the link line
#
# A fuzz_<name>.c with none of them is built alone.  Its seed corpus is
# test/fuzz/corpus/<name>/ and an optional dictionary fuzz_<name>.dict;
# see run.sh.

B		?= build/fuzz
CC		 = clang
PKG_CONFIG	?= pkg-config

FUZZ_CFLAGS	 = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined \
		   -Wall -Wextra -Werror -Wno-unused-parameter -I.

fuzz_xs_feed_SRCS	 = $(wildcard xmlstream/*.c)
fuzz_xs_feed_PKGS	 = libxml-2.0

fuzz_pol_load_SRCS	 = $(wildcard policy/*.c)
fuzz_pol_load_PKGS	 = libconfig gnutls libidn2
# It includes identity.c itself, to reach the static DER reader.
fuzz_cs_identity_SRCS	 = $(filter-out certstore/identity.c,$(wildcard certstore/*.c))
fuzz_cs_identity_PKGS	 = gnutls gnutls-dane libidn2

fuzz_cs_dane_SRCS	 = $(wildcard certstore/*.c)
fuzz_cs_dane_PKGS	 = gnutls gnutls-dane libidn2

fuzz_cs_posh_SRCS	 = $(wildcard certstore/*.c)
fuzz_cs_posh_PKGS	 = gnutls gnutls-dane libidn2

FUZZ_TARGETS	 = $(patsubst test/fuzz/%.c,%,$(wildcard test/fuzz/fuzz_*.c))

.PHONY: all clean
all: $(FUZZ_TARGETS:%=$(B)/%)

# One rule per target: its own sources, and the headers beside them.
define fuzz_rule
$(B)/$(1): test/fuzz/$(1).c $$($(1)_SRCS) \
    $$(wildcard $$(addsuffix *.h,$$(sort $$(dir $$($(1)_SRCS)))))
	@mkdir -p $$(@D)
	$$(CC) $$(FUZZ_CFLAGS) \
	    $$(if $$($(1)_PKGS),$$(shell $$(PKG_CONFIG) --cflags $$($(1)_PKGS))) \
	    -o $$@ test/fuzz/$(1).c $$($(1)_SRCS) \
	    $$(if $$($(1)_PKGS),$$(shell $$(PKG_CONFIG) --libs $$($(1)_PKGS))) \
	    $$($(1)_LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

clean:
	rm -f $(FUZZ_TARGETS:%=$(B)/%)
