/*
 * config.h: the node's configuration, DIR/buurt.conf, in INI form
 * (parsed with inih; `buurt init` writes a commented default):
 *
 *   [node]
 *   name = Dorpsraad Haren    ; required, 1..120 bytes of UTF-8
 *   [api]
 *   endpoint = ipc://api.sock ; a relative ipc path lies inside DIR,
 *                             ; or tcp://HOST:PORT (CURVE; needs allow)
 *   allow = HEXKEY HEXKEY ... ; with a tcp endpoint, required: the
 *                             ; Ed25519 public keys (buurt keygen) of
 *                             ; the clients that may use the api
 *   [store]
 *   map_size = 16M            ; initial LMDB map; suffixes K, M, G, T
 *   map_max = 8G              ; the map never grows beyond this
 *   [log]
 *   level = info              ; error, warning, notice, info, debug
 *   [federation]
 *   sync = tcp://127.0.0.1:7101  ; where the sync ROUTER binds; without
 *                                ; it the node does not federate
 *   pub = tcp://127.0.0.1:7102   ; where the pub PUB binds
 *   advertise = tcp://h:7102     ; the pub endpoint told to followers
 *                                ; (default: pub)
 *   heartbeat = 3                ; seconds between heartbeats
 *   access = open                ; open: any CURVE key may read;
 *                                ; allow-list: only the keys of allow
 *   allow = HEXID HEXID ...      ; node ids allowed to connect
 *   hwm = 1000                   ; high-water mark, in messages, of the
 *                                ; pub socket (ZMQ_SNDHWM) and of each
 *                                ; subscription to a peer's pub
 *                                ; (ZMQ_RCVHWM): 1 to 1000000; without
 *                                ; it libzmq's default (1000).  What
 *                                ; goes over it is dropped; followers
 *                                ; then fill the gap from sync
 *
 * inih strips blanks around keys and values and allows comments on their
 * own line (';' or '#') or after a value (" ;"); a value wholly inside
 * double quotes loses them.  Unknown sections and keys, keys given
 * twice and bad values are errors that name the file, the line and the
 * key: a typo must not silently fall back to a default.  A tcp://
 * api endpoint is refused without [api] allow: the api over TCP is a
 * CURVE server that admits only those client keys, since anyone who
 * could reach the port could otherwise write in the node's namespace
 * (endpoint then holds it as given, and ipc_path is "").
 *
 * A struct config is plain data with no heap parts; thread-safe as data.
 */
#ifndef BUURT_NODE_CONFIG_H
#define BUURT_NODE_CONFIG_H

#include <stdint.h>

#include <buurt/error.h>
#include <buurt/limits.h>

#define CONFIG_FILE		"buurt.conf"
#define CONFIG_ENDPOINT_MAX	128	/* "ipc://" + 107-byte path + NUL */
#define CONFIG_IPC_PATH_MAX	107	/* sun_path less its NUL */

#define CONFIG_DEFAULT_ENDPOINT	"ipc://api.sock"
#define CONFIG_DEFAULT_MAP_SIZE	(UINT64_C(16) << 20)
#define CONFIG_DEFAULT_MAP_MAX	(UINT64_C(8) << 30)
#define CONFIG_MIN_MAP_SIZE	(UINT64_C(1) << 20)
#define CONFIG_DEFAULT_HEARTBEAT_MS 3000
#define CONFIG_ALLOW_MAX	64	/* node ids in [federation] allow */
#define CONFIG_HWM_MAX		1000000 /* [federation] hwm, messages */

/* Who may connect to pub and sync. */
enum config_access {
	CONFIG_ACCESS_OPEN = 0,		/* any CURVE key: public data */
	CONFIG_ACCESS_ALLOW_LIST,	/* only the keys in allow */
};

struct config {
	char name[BUURT_NAME_MAX + 1];	/* [node] name, NUL-terminated */
	char endpoint[CONFIG_ENDPOINT_MAX]; /* [api] endpoint, resolved:
					 * "ipc://" and a path that is
					 * absolute if DIR was */
	char ipc_path[CONFIG_IPC_PATH_MAX + 1]; /* the socket file of an
					 * ipc endpoint */
	uint64_t map_size;		/* [store] map_size, bytes */
	uint64_t map_max;		/* [store] map_max, bytes */
	int log_level;			/* [log] level, enum log_level */
	char sync[CONFIG_ENDPOINT_MAX];	/* [federation] sync, or "" */
	char pub[CONFIG_ENDPOINT_MAX];	/* [federation] pub, or "" */
	char pub_advertised[CONFIG_ENDPOINT_MAX]; /* advertise, or pub */
	uint64_t heartbeat_ms;		/* [federation] heartbeat, ms */
	int access;			/* enum config_access */
	uint8_t allow[CONFIG_ALLOW_MAX][BUURT_KEY_LEN]; /* allowed ids */
	unsigned n_allow;		/* entries of allow */
	int hwm;			/* [federation] hwm, messages; 0:
					 * libzmq's default */
	uint8_t api_allow[CONFIG_ALLOW_MAX][BUURT_KEY_LEN]; /* [api] allow:
					 * Ed25519 public keys of clients */
	unsigned n_api_allow;		/* entries of api_allow */
};

/*
 * config_load: read DIR/buurt.conf into *cfg (all of it overwritten;
 * defaults for what the file leaves out).  On failure err (may be NULL)
 * has field "section.key" where one is at fault and a sentence naming
 * the file (and line) in msg.
 * Returns 0, BUURT_ECONFIG (missing or unreadable file, syntax, unknown
 * or repeated key, bad value), BUURT_EINVAL (NULL argument),
 * BUURT_ENOMEM.
 */
int config_load(struct config *cfg, const char *dir, struct buurt_err *err);

/*
 * config_parse_size: a byte count with an optional binary suffix K, M, G
 * or T (either case), e.g. "16M", "8G", "65536", into *out.
 * Returns 0 or BUURT_EINVAL (empty, not a number, unknown suffix,
 * overflow).
 */
int config_parse_size(const char *s, uint64_t *out);

#endif /* BUURT_NODE_CONFIG_H */
