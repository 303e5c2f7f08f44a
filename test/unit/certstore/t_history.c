/*
 * t_history.c: the per-peer history: what an observation changes, files
 * written atomically and read back, names that cannot leave the peers
 * directory, and damaged files refused rather than half believed.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "certstore/certstore.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/portcullis-hist.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/peers/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

START_TEST(names)
{
	struct cs_history h;

	ck_assert_int_eq(cs_history_init(&h, "example.org"), 0);
	ck_assert_str_eq(h.domain, "example.org");
	ck_assert_int_eq(h.starttls, -1);
	ck_assert_int_eq(cs_history_init(&h, "../etc/passwd"), CS_E_NAME);
	ck_assert_int_eq(cs_history_init(&h, "a/b"), CS_E_NAME);
	ck_assert_int_eq(cs_history_init(&h, ".hidden"), CS_E_NAME);
	/* Only the normalised form names a file. */
	ck_assert_int_eq(cs_history_init(&h, "Example.org"), CS_E_NAME);
	ck_assert_int_eq(cs_history_init(&h, "b\xc3\xbc" "cher.example"),
	    CS_E_NAME);
	ck_assert_int_eq(cs_history_init(&h, "xn--bcher-kva.example"), 0);
	ck_assert_int_eq(cs_history_init(&h, NULL), CS_E_NAME);
}
END_TEST

START_TEST(observe)
{
	struct cs_history h;
	unsigned char k1[32], k2[32];

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	cs_history_init(&h, "example.org");
	ck_assert_uint_eq(cs_history_observe(&h, k1, GNUTLS_TLS1_3, 1, 1000),
	    CS_HIST_NEW);
	ck_assert_int_eq(h.first_seen, 1000);
	ck_assert_int_eq(h.spki_since, 1000);
	ck_assert_uint_eq(cs_history_observe(&h, k1, GNUTLS_TLS1_3, 1, 2000),
	    0);
	ck_assert_int_eq(h.last_seen, 2000);
	ck_assert_int_eq(h.first_seen, 1000);
	ck_assert_uint_eq(cs_history_observe(&h, k2, GNUTLS_TLS1_2, 0, 3000),
	    CS_HIST_SPKI_CHANGED | CS_HIST_VERSION_LOWER |
	    CS_HIST_STARTTLS_LOST);
	ck_assert_int_eq(h.have_prev_spki, 1);
	ck_assert_int_eq(memcmp(h.prev_spki, k1, 32), 0);
	ck_assert_int_eq(memcmp(h.spki, k2, 32), 0);
	ck_assert_int_eq(h.spki_since, 3000);
	ck_assert_int_eq(h.tls_version, GNUTLS_TLS1_2);
	/* Unknown facts change nothing; a higher version is no warning. */
	ck_assert_uint_eq(cs_history_observe(&h, NULL, 0, -1, 4000), 0);
	ck_assert_int_eq(memcmp(h.spki, k2, 32), 0);
	ck_assert_uint_eq(cs_history_observe(&h, k2, GNUTLS_TLS1_3, 1, 5000),
	    0);
}
END_TEST

/* What DNS said: SRV targets compared as sets, DNSSEC lost. */
START_TEST(observe_dns)
{
	struct cs_history h;

	cs_history_init(&h, "example.org");
	ck_assert_int_eq(h.dnssec, -1);
	ck_assert_uint_eq(cs_history_observe_dns(&h,
	    "b.example.org:5269 a.example.org:5270 b.example.org:5269", 1),
	    0);
	ck_assert_str_eq(h.srv, "a.example.org:5270 b.example.org:5269");
	ck_assert_int_eq(h.dnssec, 1);
	/* The same set in another order is no change. */
	ck_assert_uint_eq(cs_history_observe_dns(&h,
	    "a.example.org:5270  b.example.org:5269", 1), 0);
	ck_assert_uint_eq(cs_history_observe_dns(&h, "evil.example:5269", 0),
	    CS_HIST_SRV_CHANGED | CS_HIST_DNSSEC_LOST);
	ck_assert_str_eq(h.prev_srv, "a.example.org:5270 b.example.org:5269");
	ck_assert_str_eq(h.srv, "evil.example:5269");
	ck_assert_int_eq(h.dnssec, 0);
	/* Insecure to secure is no warning; unknown changes nothing. */
	ck_assert_uint_eq(cs_history_observe_dns(&h, "evil.example:5269", 1),
	    0);
	ck_assert_uint_eq(cs_history_observe_dns(&h, NULL, -1), 0);
	ck_assert_int_eq(h.dnssec, 1);
	ck_assert_str_eq(h.srv, "evil.example:5269");
	/* No SRV at all is a target set of its own. */
	ck_assert_uint_eq(cs_history_observe_dns(&h, ".", 1),
	    CS_HIST_SRV_CHANGED);
	/* Nothing that could break a line gets in. */
	cs_history_observe_dns(&h, "x:1\nspki=sha256/AAAA y:2", 1);
	ck_assert_ptr_null(strchr(h.srv, '\n'));
	ck_assert_ptr_null(strchr(h.srv, '='));
}
END_TEST

START_TEST(round_trip)
{
	struct cs_history h, back;
	struct cs_diag d;
	unsigned char k1[32], k2[32];
	char path[256];
	struct stat st;
	DIR *dp;
	struct dirent *e;
	int files = 0;

	for (int i = 0; i < 32; i++) {
		k1[i] = (unsigned char)i;
		k2[i] = (unsigned char)(255 - i);
	}
	ck_assert_int_eq(cs_history_prepare(dir, &d), 0);
	snprintf(path, sizeof(path), "%s/peers", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(cs_history_prepare(dir, &d), 0);

	ck_assert_int_eq(cs_history_load(dir, "example.org", &back, &d),
	    CS_E_NOTFOUND);
	ck_assert_str_eq(back.domain, "example.org");
	cs_history_init(&h, "example.org");
	cs_history_observe(&h, k1, GNUTLS_TLS1_3, 1, 1763764800);
	cs_history_observe(&h, k2, GNUTLS_TLS1_2, 1, 1763768400);
	cs_history_observe_dns(&h, "x.example.org:5269", 1);
	cs_history_observe_dns(&h, "y.example.org:5269 z.example.org:5270",
	    1);
	ck_assert_int_eq(cs_history_save(dir, &h, &d), 0);
	/* Saving again replaces the file and leaves no temporary behind. */
	ck_assert_int_eq(cs_history_save(dir, &h, &d), 0);
	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((e = readdir(dp)) != NULL)
		if (e->d_name[0] != '.' || strncmp(e->d_name, ".e", 2) == 0)
			files++;
	closedir(dp);
	ck_assert_int_eq(files, 1);

	ck_assert_int_eq(cs_history_load(dir, "example.org", &back, &d), 0);
	ck_assert_int_eq(back.have_spki, 1);
	ck_assert_int_eq(memcmp(back.spki, k2, 32), 0);
	ck_assert_int_eq(back.have_prev_spki, 1);
	ck_assert_int_eq(memcmp(back.prev_spki, k1, 32), 0);
	ck_assert_int_eq(back.tls_version, GNUTLS_TLS1_2);
	ck_assert_int_eq(back.starttls, 1);
	ck_assert_int_eq(back.first_seen, 1763764800);
	ck_assert_int_eq(back.last_seen, 1763768400);
	ck_assert_int_eq(back.spki_since, 1763768400);
	ck_assert_str_eq(back.srv, "y.example.org:5269 z.example.org:5270");
	ck_assert_str_eq(back.prev_srv, "x.example.org:5269");
	ck_assert_int_eq(back.dnssec, 1);
	/* What was read compares like what was written. */
	ck_assert_uint_eq(cs_history_observe(&back, k2, GNUTLS_TLS1_1, 0,
	    1763770000), CS_HIST_VERSION_LOWER | CS_HIST_STARTTLS_LOST);
}
END_TEST

START_TEST(damaged)
{
	struct cs_history h;
	struct cs_diag d;

	ck_assert_int_eq(cs_history_prepare(dir, &d), 0);
	write_file("a.example", "domain=a.example\nspki=sha256/short\n");
	ck_assert_int_eq(cs_history_load(dir, "a.example", &h, &d),
	    CS_E_FORMAT);
	ck_assert_ptr_nonnull(strstr(d.msg, "bad line"));
	/* Nothing half read survives a refusal. */
	ck_assert_int_eq(h.have_spki, 0);
	write_file("b.example", "domain=c.example\n");
	ck_assert_int_eq(cs_history_load(dir, "b.example", &h, &d),
	    CS_E_FORMAT);
	write_file("c.example", "domain=c.example\nno equals sign\n");
	ck_assert_int_eq(cs_history_load(dir, "c.example", &h, &d),
	    CS_E_FORMAT);
	write_file("d.example", "domain=d.example\ntls-version=TLS9\n");
	ck_assert_int_eq(cs_history_load(dir, "d.example", &h, &d),
	    CS_E_FORMAT);
	write_file("e.example", "domain=e.example\nlast-seen=-5\n");
	ck_assert_int_eq(cs_history_load(dir, "e.example", &h, &d),
	    CS_E_FORMAT);
	/* Keys a later version may add are skipped. */
	write_file("f.example", "# x\ndomain=f.example\nfuture-key=1\n"
	    "starttls=no\n\n");
	ck_assert_int_eq(cs_history_load(dir, "f.example", &h, &d), 0);
	ck_assert_int_eq(h.starttls, 0);
	/* A file from before DNS was recorded knows nothing of it. */
	ck_assert_int_eq(h.dnssec, -1);
	ck_assert_str_eq(h.srv, "");
	write_file("h.example", "domain=h.example\ndnssec=maybe\n");
	ck_assert_int_eq(cs_history_load(dir, "h.example", &h, &d),
	    CS_E_FORMAT);
	ck_assert_int_eq(cs_history_load(dir, "../f.example", &h, &d),
	    CS_E_NAME);
	/* An unwritable place is an I/O error, not a crash. */
	ck_assert_int_eq(cs_history_prepare("/proc/nonexistent", &d),
	    CS_E_IO);
	cs_history_init(&h, "g.example");
	ck_assert_int_eq(cs_history_save("/proc/nonexistent", &h, &d),
	    CS_E_IO);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certstore history");
	TCase *tc = tcase_create("history");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names);
	tcase_add_test(tc, observe);
	tcase_add_test(tc, observe_dns);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, damaged);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
