/*
 * t_policy_log.c: the log and control groups of portcullis.conf: the
 * defaults, every setting, the older log-level spelling, and each
 * mistake refused with its line.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "policy/policy.h"

#define BASE \
	"listen = ( { role = \"c2s\"; address = \"127.0.0.1:5222\"; } );\n" \
	"domains = ( { name = \"example.org\";" \
	" certificate = \"/x/chain.pem\"; key = \"/x/key.pem\";" \
	" c2s-backend = \"127.0.0.1:5223\"; } );\n"

static struct pol *
load_ok(const char *text)
{
	struct pol_diag d;
	struct pol *p = NULL;
	int rc = pol_load_buffer(text, "test.conf", &p, &d);

	ck_assert_msg(rc == 0, "refused: %s:%d: %s", d.file, d.line, d.msg);
	return p;
}

static void
load_bad(const char *text, int line, const char *want)
{
	struct pol_diag d;
	struct pol *p = NULL;
	int rc = pol_load_buffer(text, "test.conf", &p, &d);

	ck_assert_msg(rc < 0, "accepted, wanted '%s'", want);
	ck_assert_msg(d.line == line, "line %d, wanted %d (%s)", d.line, line,
	    d.msg);
	ck_assert_msg(strstr(d.msg, want) != NULL, "'%s' lacks '%s'", d.msg,
	    want);
}

START_TEST(defaults)
{
	struct pol *p = load_ok(BASE);

	ck_assert_ptr_null(p->log.events);
	ck_assert_int_eq(p->log.syslog, 0);
	ck_assert_int_eq(p->log.facility, LOG_DAEMON);
	ck_assert_str_eq(p->log.syslog_socket, "/dev/log");
	ck_assert_str_eq(p->control.socket, "/run/portcullis/control.sock");
	ck_assert_uint_eq(p->control.mode, 0600);
	ck_assert_int_eq(p->loglevel, POL_LOG_INFO);
	pol_unref(p);
}
END_TEST

START_TEST(every_setting)
{
	struct pol *p = load_ok(BASE
	    "log = { level = \"warning\"; events = \"/var/log/p/e.jsonl\";\n"
	    "  syslog = true; syslog-facility = \"local3\";\n"
	    "  syslog-socket = \"/run/log.sock\"; };\n"
	    "control = { socket = \"/run/p/ctl.sock\"; mode = \"0660\"; };\n");

	ck_assert_int_eq(p->loglevel, POL_LOG_WARNING);
	ck_assert_str_eq(p->log.events, "/var/log/p/e.jsonl");
	ck_assert_int_eq(p->log.syslog, 1);
	ck_assert_int_eq(p->log.facility, LOG_LOCAL3);
	ck_assert_str_eq(p->log.syslog_socket, "/run/log.sock");
	ck_assert_str_eq(p->control.socket, "/run/p/ctl.sock");
	ck_assert_uint_eq(p->control.mode, 0660);
	pol_unref(p);

	/* Empty strings turn the file and the socket off. */
	p = load_ok(BASE "log = { events = \"\"; };\n"
	    "control = { socket = \"\"; };\n");
	ck_assert_ptr_null(p->log.events);
	ck_assert_ptr_null(p->control.socket);
	pol_unref(p);

	/* The older spelling still works. */
	p = load_ok(BASE "log-level = \"debug\";\n");
	ck_assert_int_eq(p->loglevel, POL_LOG_DEBUG);
	pol_unref(p);
}
END_TEST

START_TEST(mistakes)
{
	load_bad(BASE "log-level = \"debug\";\nlog = { level = \"info\"; };\n",
	    4, "same setting");
	load_bad(BASE "log = { events = \"relative.jsonl\"; };\n", 3,
	    "absolute");
	load_bad(BASE "log = { syslog = \"yes\"; };\n", 3, "true or false");
	load_bad(BASE "log = { syslog-facility = \"kern\"; };\n", 3,
	    "one of");
	load_bad(BASE "log = { level = \"loud\"; };\n", 3, "one of");
	load_bad(BASE "log = { file = \"/x\"; };\n", 3, "unknown setting");
	load_bad(BASE "control = { mode = 600; };\n", 3, "octal");
	load_bad(BASE "control = { mode = \"0666\"; };\n", 3,
	    "every local user");
	load_bad(BASE "control = { mode = \"rw\"; };\n", 3, "octal");
	load_bad(BASE "control = { socket = \"/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; };\n", 3,
	    "longer");
	load_bad(BASE "control = \"/x\";\n", 3, "group");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy-log");
	TCase *tc = tcase_create("policy-log");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_setting);
	tcase_add_test(tc, mistakes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
