/*
 * test_config.c: DIR/buurt.conf - defaults, every key, every refusal,
 * and that errors name the file, the line and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <buurt/error.h>

#include "config.h"
#include "log.h"

struct fixture {
	char dir[64];		/* a fresh temporary directory */
	char file[128];		/* dir/buurt.conf */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	strcpy(f->dir, "/tmp/buurt-test-config.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->file, sizeof(f->file), "%s/%s", f->dir, CONFIG_FILE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->file);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static void
write_conf(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->file, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Load text; expect code; return the error for further checks. */
static struct buurt_err
load(struct fixture *f, const char *text, int code, struct config *cfg)
{
	struct buurt_err err;
	struct config scratch;

	memset(&err, 0, sizeof(err));
	if (text != NULL) {
		write_conf(f, text);
	}
	assert_int_equal(config_load(cfg != NULL ? cfg : &scratch, f->dir,
	    &err), code);
	if (code != 0) {
		assert_int_equal(err.code, code);
		assert_true(err.msg[0] != '\0');
	}
	return err;
}

static void
has(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL) {
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
	}
}

static void
test_federation(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	const char *id1 =
	    "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12";

	/* Off by default. */
	load(f, "[node]\nname = A\n", 0, &cfg);
	assert_string_equal(cfg.sync, "");
	assert_string_equal(cfg.pub, "");
	assert_int_equal(cfg.access, CONFIG_ACCESS_OPEN);
	assert_true(cfg.heartbeat_ms == CONFIG_DEFAULT_HEARTBEAT_MS);

	load(f, "[node]\nname = A\n[federation]\n"
	    "sync = tcp://127.0.0.1:7101\npub = tcp://127.0.0.1:7102\n"
	    "heartbeat = 5\n", 0, &cfg);
	assert_string_equal(cfg.sync, "tcp://127.0.0.1:7101");
	assert_string_equal(cfg.pub, "tcp://127.0.0.1:7102");
	assert_string_equal(cfg.pub_advertised, "tcp://127.0.0.1:7102");
	assert_true(cfg.heartbeat_ms == 5000);

	load(f, "[node]\nname = A\n[federation]\n"
	    "sync = tcp://*:7101\npub = tcp://*:7102\n"
	    "advertise = tcp://haren.example:7102\naccess = allow-list\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12, "
	    "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db13\n",
	    0, &cfg);
	assert_string_equal(cfg.pub_advertised, "tcp://haren.example:7102");
	assert_int_equal(cfg.access, CONFIG_ACCESS_ALLOW_LIST);
	assert_int_equal(cfg.n_allow, 2);
	assert_int_equal(cfg.allow[0][0], 0x21);
	assert_int_equal(cfg.allow[1][31], 0x13);
	(void)id1;
	assert_int_equal(cfg.hwm, 0);
}

static void
test_hwm(void **state)
{
	struct fixture *f = *state;
	static const char *bad[] = { "0", "-1", "1000001", "x", "12x",
	    " ", "+5", "99999999999999999999" };
	struct config cfg;
	struct buurt_err e;
	char text[128];
	size_t i;

	/* Default: 0, libzmq's own high-water marks. */
	load(f, "[node]\nname = A\n", 0, &cfg);
	assert_int_equal(cfg.hwm, 0);
	load(f, "[node]\nname = A\n[federation]\nhwm = 1\n", 0, &cfg);
	assert_int_equal(cfg.hwm, 1);
	load(f, "[node]\nname = A\n[federation]\nhwm = 1000000 ; max\n", 0,
	    &cfg);
	assert_int_equal(cfg.hwm, CONFIG_HWM_MAX);
	load(f, "[node]\nname = A\n[federation]\nhwm = \"50\"\n", 0, &cfg);
	assert_int_equal(cfg.hwm, 50);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(text, sizeof(text),
		    "[node]\nname = A\n[federation]\nhwm = %s\n", bad[i]);
		e = load(f, text, BUURT_ECONFIG, NULL);
		assert_string_equal(e.field, "federation.hwm");
		has(e.msg, "1 to 1000000");
	}
	/* Given twice. */
	e = load(f, "[node]\nname = A\n[federation]\nhwm = 5\nhwm = 6\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.hwm");
}

static void
test_federation_allow(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	struct buurt_err e;

	/* allow on several lines adds up. */
	load(f, "[node]\nname = A\n[federation]\naccess = allow-list\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db13\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db14\n",
	    0, &cfg);
	assert_int_equal(cfg.n_allow, 3);
	/* A wildcard pub needs advertise. */
	e = load(f, "[node]\nname = A\n[federation]\n"
	    "sync = tcp://*:7101\npub = tcp://*:7102\n", BUURT_ECONFIG,
	    NULL);
	assert_string_equal(e.field, "federation.advertise");
	e = load(f, "[node]\nname = A\n[federation]\n"
	    "sync = tcp://127.0.0.1:7101\n", BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.pub");
	e = load(f, "[node]\nname = A\n[federation]\n"
	    "sync = udp://127.0.0.1:7101\npub = tcp://127.0.0.1:7102\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.sync");
	e = load(f, "[node]\nname = A\n[federation]\n"
	    "sync = tcp://127.0.0.1\npub = tcp://127.0.0.1:7102\n",
	    BUURT_ECONFIG, NULL);
	has(e.msg, "PORT");
	e = load(f, "[node]\nname = A\n[federation]\nheartbeat = 0\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.heartbeat");
	e = load(f, "[node]\nname = A\n[federation]\naccess = closed\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.access");
	e = load(f, "[node]\nname = A\n[federation]\n"
	    "access = allow-list\n", BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.allow");
	e = load(f, "[node]\nname = A\n[federation]\nallow = 12zz\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(e.field, "federation.allow");
}

static void
test_defaults(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	char want[160];

	load(f, "[node]\nname = Dorpsraad Haren\n", 0, &cfg);
	assert_string_equal(cfg.name, "Dorpsraad Haren");
	snprintf(want, sizeof(want), "ipc://%s/api.sock", f->dir);
	assert_string_equal(cfg.endpoint, want);
	assert_string_equal(cfg.ipc_path, want + 6);
	assert_true(cfg.map_size == (UINT64_C(16) << 20));
	assert_true(cfg.map_max == (UINT64_C(8) << 30));
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
}

static void
test_every_key(void **state)
{
	struct fixture *f = *state;
	struct config cfg;

	load(f,
	    "; a comment\n"
	    "# another\n"
	    "\n"
	    "[node]\n"
	    "name = \"Wijkraad Ruwaard\"   ; quoted\n"
	    "[api]\n"
	    "endpoint = ipc:///tmp/buurt-x.sock\n"
	    "[store]\n"
	    "map_size = 32m\n"
	    "map_max=2T\n"
	    "[log]\n"
	    "level = debug\n", 0, &cfg);
	assert_string_equal(cfg.name, "Wijkraad Ruwaard");
	assert_string_equal(cfg.endpoint, "ipc:///tmp/buurt-x.sock");
	assert_string_equal(cfg.ipc_path, "/tmp/buurt-x.sock");
	assert_true(cfg.map_size == (UINT64_C(32) << 20));
	assert_true(cfg.map_max == (UINT64_C(2) << 40));
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
}

static void
test_relative_endpoint(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	char want[160];

	load(f, "[node]\nname = x\n[api]\nendpoint = ipc://run/a.sock\n", 0,
	    &cfg);
	snprintf(want, sizeof(want), "ipc://%s/run/a.sock", f->dir);
	assert_string_equal(cfg.endpoint, want);
}

static void
test_missing_file(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	err = load(f, NULL, BUURT_ECONFIG, NULL);
	has(err.msg, "buurt init");
	has(err.msg, f->file);
}

static void
test_unknown_key(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	char want[160];

	err = load(f, "[node]\nname = x\n[store]\nmapsize = 1G\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "store.mapsize");
	snprintf(want, sizeof(want), "%s:4:", f->file);
	has(err.msg, want);
	has(err.msg, "store.mapsize");
}

static void
test_unknown_section(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	err = load(f, "[node]\nname = x\n\n[gossip]\npeers = a\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "gossip.peers");
	has(err.msg, ":5:");
	has(err.msg, "[gossip]");
}

static void
test_outside_section(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	err = load(f, "name = x\n[node]\nname = x\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "name");
	has(err.msg, ":1:");
}

static void
test_twice(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	err = load(f, "[node]\nname = x\nname = y\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "node.name");
	has(err.msg, ":3:");
	/* An indented line continues the value: also a repeat. */
	err = load(f, "[node]\nname = x\n  y\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "node.name");
	has(err.msg, ":3:");
}

static void
test_syntax(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	err = load(f, "[node]\nname = x\nthis is not ini\n", BUURT_ECONFIG,
	    NULL);
	has(err.msg, ":3:");
	/* The first error is reported, whichever kind it is. */
	err = load(f, "[node]\nnope\nname = x\n[api]\nbad = 1\n",
	    BUURT_ECONFIG, NULL);
	has(err.msg, ":2:");
	err = load(f, "[node]\nbad = 1\nnope\n", BUURT_ECONFIG, NULL);
	has(err.msg, ":2:");
	assert_string_equal(err.field, "node.bad");
}

static void
test_long_line(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	char text[512];

	snprintf(text, sizeof(text), "[node]\nname = x\n; %0300d\n", 0);
	err = load(f, text, BUURT_ECONFIG, NULL);
	has(err.msg, ":3:");
	has(err.msg, "longer");
}

static void
test_nul_byte(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen(f->file, "w");
	struct config cfg;
	struct buurt_err err;

	assert_non_null(fp);
	fwrite("[node]\nname = a\0b\n", 1, 18, fp);
	fclose(fp);
	assert_int_equal(config_load(&cfg, f->dir, &err), BUURT_ECONFIG);
	has(err.msg, "NUL");
}

static void
test_name(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	struct config cfg;
	char text[400], name[200];

	err = load(f, "[log]\nlevel = info\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "node.name");
	has(err.msg, "required");
	err = load(f, "[node]\nname =\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "node.name");
	err = load(f, "[node]\nname = \"\"\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "node.name");
	memset(name, 'a', sizeof(name));
	name[BUURT_NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "[node]\nname = %s\n", name);
	load(f, text, 0, &cfg);
	assert_int_equal(strlen(cfg.name), BUURT_NAME_MAX);
	name[BUURT_NAME_MAX] = 'a';
	name[BUURT_NAME_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "[node]\nname = %s\n", name);
	err = load(f, text, BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "node.name");
	err = load(f, "[node]\nname = caf\xc3\n", BUURT_ECONFIG, NULL);
	has(err.msg, "UTF-8");
	load(f, "[node]\nname = Dorpsraad Megen \xe2\x80\x94 M\xc3\xa9gen\n",
	    0, &cfg);
}

static void
test_endpoint(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	struct config cfg;

	/* The api over TCP only with an allow-list of client keys. */
	err = load(f, "[node]\nname = x\n[api]\n"
	    "endpoint = tcp://0.0.0.0:7000\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.allow");
	has(err.msg, "api.allow");
	load(f, "[node]\nname = x\n[api]\n"
	    "endpoint = tcp://127.0.0.1:7000\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db13"
	    " 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db14\n",
	    0, &cfg);
	assert_string_equal(cfg.endpoint, "tcp://127.0.0.1:7000");
	assert_string_equal(cfg.ipc_path, "");
	assert_int_equal(cfg.n_api_allow, 3);
	assert_int_equal(cfg.n_allow, 0);
	err = load(f, "[node]\nname = x\n[api]\n"
	    "endpoint = tcp://127.0.0.1:7000\nallow = 12ab\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.allow");
	err = load(f, "[node]\nname = x\n[api]\n"
	    "endpoint = tcp://127.0.0.1\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.endpoint");
	/* Over ipc, file permissions decide: allow would mislead. */
	err = load(f, "[node]\nname = x\n[api]\n"
	    "allow = 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.allow");
	err = load(f, "[node]\nname = x\n[api]\nendpoint = inproc://x\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.endpoint");
	err = load(f, "[node]\nname = x\n[api]\nendpoint = ipc://\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.endpoint");
	err = load(f, "[node]\nname = x\n[api]\nendpoint = ipc://@buurt\n",
	    BUURT_ECONFIG, NULL);
	has(err.msg, "abstract");
}

static void
test_ipc_path_length(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	struct config cfg;
	char text[400], path[200];

	/* An absolute path of exactly 107 bytes fits sun_path. */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[CONFIG_IPC_PATH_MAX] = '\0';
	snprintf(text, sizeof(text),
	    "[node]\nname = x\n[api]\nendpoint = ipc://%s\n", path);
	load(f, text, 0, &cfg);
	assert_int_equal(strlen(cfg.ipc_path), CONFIG_IPC_PATH_MAX);
	path[CONFIG_IPC_PATH_MAX] = 'p';
	path[CONFIG_IPC_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof(text),
	    "[node]\nname = x\n[api]\nendpoint = ipc://%s\n", path);
	err = load(f, text, BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.endpoint");
	has(err.msg, "107");
	/* Relative: DIR counts too. */
	memset(path, 'q', sizeof(path));
	path[CONFIG_IPC_PATH_MAX - strlen(f->dir)] = '\0';
	snprintf(text, sizeof(text),
	    "[node]\nname = x\n[api]\nendpoint = ipc://%s\n", path);
	err = load(f, text, BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "api.endpoint");
	path[CONFIG_IPC_PATH_MAX - strlen(f->dir) - 1] = '\0';
	snprintf(text, sizeof(text),
	    "[node]\nname = x\n[api]\nendpoint = ipc://%s\n", path);
	load(f, text, 0, &cfg);
	assert_int_equal(strlen(cfg.ipc_path), CONFIG_IPC_PATH_MAX);
}

static void
test_sizes(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;

	err = load(f, "[node]\nname = x\n[store]\nmap_size = 16X\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "store.map_size");
	has(err.msg, ":4:");
	err = load(f, "[node]\nname = x\n[store]\nmap_max = \n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "store.map_max");
	err = load(f, "[node]\nname = x\n[store]\nmap_size = 512K\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "store.map_size");
	err = load(f, "[node]\nname = x\n[store]\nmap_size = 1G\n"
	    "map_max = 512M\n", BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "store.map_max");
	err = load(f, "[node]\nname = x\n[store]\nmap_max = 99999999T\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "store.map_max");
}

static void
test_parse_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(config_parse_size("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(config_parse_size("65536", &v), 0);
	assert_true(v == 65536);
	assert_int_equal(config_parse_size("1K", &v), 0);
	assert_true(v == 1024);
	assert_int_equal(config_parse_size("16M", &v), 0);
	assert_true(v == (UINT64_C(16) << 20));
	assert_int_equal(config_parse_size("8g", &v), 0);
	assert_true(v == (UINT64_C(8) << 30));
	assert_int_equal(config_parse_size("1T", &v), 0);
	assert_true(v == (UINT64_C(1) << 40));
	assert_int_equal(config_parse_size("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(config_parse_size("18446744073709551616", &v),
	    BUURT_EINVAL);
	assert_int_equal(config_parse_size("16777216T", &v), BUURT_EINVAL);
	assert_int_equal(config_parse_size("", &v), BUURT_EINVAL);
	assert_int_equal(config_parse_size("M", &v), BUURT_EINVAL);
	assert_int_equal(config_parse_size("16MB", &v), BUURT_EINVAL);
	assert_int_equal(config_parse_size("-1", &v), BUURT_EINVAL);
	assert_int_equal(config_parse_size(" 1", &v), BUURT_EINVAL);
	assert_int_equal(config_parse_size("1.5G", &v), BUURT_EINVAL);
}

static void
test_level(void **state)
{
	struct fixture *f = *state;
	struct buurt_err err;
	struct config cfg;

	load(f, "[node]\nname = x\n[log]\nlevel = warning\n", 0, &cfg);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARNING);
	err = load(f, "[node]\nname = x\n[log]\nlevel = loud\n",
	    BUURT_ECONFIG, NULL);
	assert_string_equal(err.field, "log.level");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_federation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hwm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_federation_allow, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relative_endpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_section, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_outside_section, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ipc_path_length, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test_setup_teardown(test_level, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
