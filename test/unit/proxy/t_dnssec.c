/*
 * t_dnssec.c: what the DNS code hands on without a network: trust anchor
 * files read strictly (DS and DNSKEY records, zone file syntax, nothing
 * else taken), and TLSA records kept in an answer and read back as
 * certstore takes them.  Validation itself needs a signed zone and a
 * resolver: integration scenario 44.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/dns.h"
#include "proxy/dnssec.h"

#define DS	"test. 3600 IN DS 31589 13 2 " \
		"0d0c9dbd9b6d1bf17db0c9b6da0fb8e7ee95b1cd0dd5d7e3b9b0c4c2b1a0f1e2"
#define DNSKEY	"test. IN DNSKEY 257 3 13 " \
		"mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+" \
		"KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="

static char file[64];

static void
write_file(const char *text)
{
	int fd;

	snprintf(file, sizeof(file), "/tmp/t_dnssec.XXXXXX");
	ck_assert_int_ge(fd = mkstemp(file), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(anchors)
{
	char err[200];
	ldns_rr_list *l;

	write_file("; a comment\n$TTL 60\n$ORIGIN test.\n" DS "\n\n"
	    DNSKEY "\n" "www IN A 192.0.2.1\n");
	l = dnsval_read_anchors(file, err, sizeof(err));
	unlink(file);
	ck_assert_msg(l != NULL, "%s", err);
	/* The A record is no anchor and is left out. */
	ck_assert_uint_eq(ldns_rr_list_rr_count(l), 2);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(l, 0)),
	    LDNS_RR_TYPE_DS);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(l, 1)),
	    LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list_deep_free(l);
}
END_TEST

START_TEST(bad_anchors)
{
	char err[200];

	write_file("; nothing\n");
	ck_assert_ptr_null(dnsval_read_anchors(file, err, sizeof(err)));
	unlink(file);
	ck_assert_str_eq(err, "no DS or DNSKEY record in it");
	write_file("www IN A 192.0.2.1\n");
	ck_assert_ptr_null(dnsval_read_anchors(file, err, sizeof(err)));
	unlink(file);
	write_file(DS "\ntest. IN DS nonsense here\n");
	ck_assert_ptr_null(dnsval_read_anchors(file, err, sizeof(err)));
	unlink(file);
	ck_assert_msg(strncmp(err, "line 2:", 7) == 0, "%s", err);
	ck_assert_ptr_null(dnsval_read_anchors("/nonexistent/root.key", err,
	    sizeof(err)));
	ck_assert_str_eq(err, "cannot read it");
}
END_TEST

/* Records laid down as dns.c does, read back per target. */
START_TEST(tlsa_records)
{
	static struct dns_answer a;
	struct cs_tlsa out[4];
	unsigned char *o = a.tlsa;

	memset(&a, 0, sizeof(a));
	/* Target 0: 3 1 1 (32 bytes) and 2 0 0 (3 bytes); target 1: none. */
	o[0] = 3; o[1] = 1; o[2] = 1; o[3] = 0; o[4] = 32;
	memset(o + 5, 0xaa, 32);
	o += 37;
	o[0] = 2; o[1] = 0; o[2] = 0; o[3] = 0; o[4] = 3;
	memcpy(o + 5, "abc", 3);
	a.tlsa_used = 37 + 8;
	a.ntargets = 2;
	a.targets[0].tlsa = DNS_TLSA_SECURE;
	a.targets[0].ntlsa = 2;
	a.targets[1].tlsa = DNS_TLSA_NONE;
	a.targets[1].tlsa_off = a.tlsa_used;
	ck_assert_uint_eq(dns_tlsa_records(&a, &a.targets[0], out, 4), 2);
	ck_assert_uint_eq(out[0].usage, 3);
	ck_assert_uint_eq(out[0].len, 32);
	ck_assert_uint_eq(out[0].data[31], 0xaa);
	ck_assert_uint_eq(out[1].usage, 2);
	ck_assert_uint_eq(out[1].len, 3);
	ck_assert_int_eq(memcmp(out[1].data, "abc", 3), 0);
	ck_assert_uint_eq(dns_tlsa_records(&a, &a.targets[0], out, 1), 1);
	ck_assert_uint_eq(dns_tlsa_records(&a, &a.targets[1], out, 4), 0);
	/* A length past what was kept is not read. */
	a.tlsa[4] = 200;
	ck_assert_uint_eq(dns_tlsa_records(&a, &a.targets[0], out, 4), 0);
	ck_assert_str_eq(dns_tlsa_name(DNS_TLSA_BOGUS), "bogus");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnssec");
	TCase *tc = tcase_create("dnssec");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, anchors);
	tcase_add_test(tc, bad_anchors);
	tcase_add_test(tc, tlsa_records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
