/*
 * t_dbmap.c: the shared map of dialback stream ids: what is added is
 * found by its three keys only, and nothing is found that was not added.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "proxy/dbmap.h"

START_TEST(add_and_find)
{
	char out[64];

	dbmap_add("legacy.test", "remote.test", "R-1", "ours-1");
	ck_assert_int_eq(dbmap_lookup("legacy.test", "remote.test", "R-1",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ours-1");
	/* Every key must match: domains swapped, another id. */
	ck_assert_int_eq(dbmap_lookup("remote.test", "legacy.test", "R-1",
	    out, sizeof(out)), -1);
	ck_assert_int_eq(dbmap_lookup("legacy.test", "remote.test", "R-2",
	    out, sizeof(out)), -1);
	/* An empty remote id is never stored. */
	dbmap_add("legacy.test", "remote.test", "", "ours-2");
	ck_assert_int_eq(dbmap_lookup("legacy.test", "remote.test", "",
	    out, sizeof(out)), -1);
}
END_TEST

START_TEST(full_table_keeps_newest)
{
	char id[32], want[32], out[64];

	/* More entries than slots: the newest are kept. */
	for (int i = 0; i < 600; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		snprintf(want, sizeof(want), "o%d", i);
		dbmap_add("a.test", "b.test", id, want);
	}
	ck_assert_int_eq(dbmap_lookup("a.test", "b.test", "r599", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "o599");
	ck_assert_int_eq(dbmap_lookup("a.test", "b.test", "r0", out,
	    sizeof(out)), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dbmap");
	TCase *tc = tcase_create("dbmap");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, add_and_find);
	tcase_add_test(tc, full_table_keeps_newest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
