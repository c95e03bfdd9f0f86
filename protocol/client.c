/*
 * client.c: the client for a node's api socket; the only file of
 * libbuurt that does I/O, and the only one that includes zmq.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>
#include <zmq.h>

#include "buurt/client.h"
#include "buurt/key.h"

#define DEFAULT_TIMEOUT_MS 30000

struct buurt_client {
	void *ctx;		/* zmq context, owned */
	void *sock;		/* DEALER connected to the node */
	uint64_t rid;		/* last request id sent */
	int timeout_ms;		/* how long a reply may take */
};

static int
zerr(int e)
{
	switch (e) {
	case EAGAIN:
		return BUURT_ETIMEDOUT;
	case ENOMEM:
		return BUURT_ENOMEM;
	case EINVAL:
	case EPROTONOSUPPORT:
		return BUURT_EINVAL;
	default:
		return BUURT_ECONN;
	}
}

/* The CURVE keys of a client: the server's public, ours. */
struct curve_keys {
	uint8_t server[crypto_scalarmult_curve25519_BYTES];
	uint8_t pk[crypto_scalarmult_curve25519_BYTES];
	uint8_t sk[crypto_scalarmult_curve25519_BYTES];
};

static int
client_open(struct buurt_client **outp, const char *endpoint,
    int timeout_ms, const struct curve_keys *ck)
{
	struct buurt_client *c = NULL;
	int linger = 0, one = 1, rc;
	int64_t maxmsg = BUURT_MSG_MAX + 1024;
	struct stat sb;

	if (outp == NULL) {
		return BUURT_EINVAL;
	}
	*outp = NULL;
	if (endpoint == NULL || timeout_ms < 0) {
		return BUURT_EINVAL;
	}
	/* A missing ipc socket means no node: say so now, not at timeout. */
	if (strncmp(endpoint, "ipc://", 6) == 0 &&
	    stat(endpoint + 6, &sb) != 0) {
		return BUURT_ECONN;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return BUURT_ENOMEM;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	if ((c->ctx = zmq_ctx_new()) == NULL) {
		rc = zerr(errno);
		goto fail;
	}
	if ((c->sock = zmq_socket(c->ctx, ZMQ_DEALER)) == NULL) {
		rc = zerr(errno);
		goto fail;
	}
	if (zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
	    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) ||
	    zmq_setsockopt(c->sock, ZMQ_IMMEDIATE, &one, sizeof(one)) ||
	    zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &c->timeout_ms,
	    sizeof(c->timeout_ms)) ||
	    zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &c->timeout_ms,
	    sizeof(c->timeout_ms))) {
		rc = zerr(errno);
		goto fail;
	}
	if (ck != NULL && (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY,
	    ck->server, sizeof(ck->server)) ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, ck->pk,
	    sizeof(ck->pk)) ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, ck->sk,
	    sizeof(ck->sk)))) {
		rc = zerr(errno);
		goto fail;
	}
	if (zmq_connect(c->sock, endpoint) != 0) {
		rc = zerr(errno);
		goto fail;
	}
	/* Request ids start at a random point so that replies to an
	 * earlier process's requests are never mistaken for ours. */
	c->rid = (uint64_t)randombytes_random() << 31;
	*outp = c;
	return 0;
fail:
	buurt_client_close(c);
	return rc;
}

int
buurt_client_open(struct buurt_client **outp, const char *endpoint,
    int timeout_ms)
{
	return client_open(outp, endpoint, timeout_ms, NULL);
}

int
buurt_client_open_curve(struct buurt_client **outp, const char *endpoint,
    int timeout_ms, const uint8_t server_node_id[BUURT_KEY_LEN],
    const uint8_t client_secret[BUURT_SECRET_LEN])
{
	struct curve_keys ck;
	int rc;

	if (outp == NULL) {
		return BUURT_EINVAL;
	}
	*outp = NULL;
	if (endpoint == NULL || server_node_id == NULL ||
	    client_secret == NULL) {
		return BUURT_EINVAL;
	}
	if (!zmq_has("curve")) {
		return BUURT_EINVAL;
	}
	/* libsodium's secret is seed || public key. */
	if (crypto_sign_ed25519_pk_to_curve25519(ck.server,
	    server_node_id) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(ck.pk, client_secret +
	    BUURT_SEED_LEN) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(ck.sk, client_secret) != 0) {
		buurt_wipe(&ck, sizeof(ck));
		return BUURT_EINVAL;
	}
	rc = client_open(outp, endpoint, timeout_ms, &ck);
	/* libzmq holds its own copy now. */
	buurt_wipe(&ck, sizeof(ck));
	return rc;
}

void
buurt_client_close(struct buurt_client *c)
{
	if (c == NULL) {
		return;
	}
	if (c->sock != NULL) {
		zmq_close(c->sock);
	}
	if (c->ctx != NULL) {
		zmq_ctx_term(c->ctx);
	}
	free(c);
}

int
buurt_client_call(struct buurt_client *c, struct buurt_request *rq,
    struct buurt_reply *rp)
{
	uint8_t *req = NULL;
	size_t reqlen = 0;
	zmq_msg_t msg;
	int rc;

	if (c == NULL || rq == NULL || rp == NULL) {
		return BUURT_EINVAL;
	}
	memset(rp, 0, sizeof(*rp));
	rq->rid = ++c->rid;
	if ((rc = buurt_request_encode(&req, &reqlen, rq)) != 0) {
		return rc;
	}
	if (zmq_send(c->sock, req, reqlen, 0) < 0) {
		rc = errno == EAGAIN ? BUURT_ECONN : zerr(errno);
		free(req);
		return rc;
	}
	free(req);
	for (;;) {
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, c->sock, 0) < 0) {
			rc = zerr(errno);
			zmq_msg_close(&msg);
			return rc;
		}
		if (zmq_msg_more(&msg)) {
			/* Not a reply of this protocol: drain and fail. */
			zmq_msg_close(&msg);
			return BUURT_EPROTO;
		}
		rc = buurt_reply_decode(rp, rq->op, zmq_msg_data(&msg),
		    zmq_msg_size(&msg));
		zmq_msg_close(&msg);
		if (rc != 0) {
			return rc;
		}
		if (rp->rid == rq->rid) {
			break;
		}
		/* A late reply to an earlier, timed-out request. */
		buurt_reply_fini(rp);
	}
	return rp->code;
}
