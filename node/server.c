/*
 * server.c: the api ROUTER socket and the poll loop; see server.h.
 * The only file that includes zmq.h.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include <buurt/error.h>
#include <buurt/limits.h>

#include "log.h"
#include "server.h"

/* Identity, up to two frames of routing or delimiter, the request. */
#define SERVER_FRAMES_MAX	4

struct server {
	void *ctx;			/* the zmq context (owned) */
	void *sock;			/* the api ROUTER socket (owned) */
	const struct log *log;		/* the node's log (borrowed) */
	char endpoint[256];		/* what was bound, for messages */
	char ipc_path[256];		/* socket file to remove, or "" */
};

/* zmq/errno -> BUURT_E*, here only. */
static int
server_errcode(int e)
{
	switch (e) {
	case ENOMEM:
		return BUURT_ENOMEM;
	case EINVAL:
	case EPROTONOSUPPORT:
	case ENOCOMPATPROTO:
		return BUURT_EINVAL;
	case EADDRINUSE:
	case EAGAIN:
		return BUURT_EBUSY;
	case EACCES:
	case EPERM:
	case EROFS:
		return BUURT_EPERM;
	case ENOENT:
	case EADDRNOTAVAIL:
	case ENODEV:
		return BUURT_EINVAL;
	case EHOSTUNREACH:
	case ETERM:
		return BUURT_ECONN;
	default:
		return BUURT_EIO;
	}
}

static int
server_fail(struct buurt_err *err, const char *what, const char *where)
{
	int e = zmq_errno();

	return buurt_err_set(err, server_errcode(e), NULL, "%s %s: %s", what,
	    where, zmq_strerror(e));
}

void
server_close(struct server *sv)
{
	if (sv == NULL) {
		return;
	}
	if (sv->sock != NULL) {
		(void)zmq_close(sv->sock);
	}
	if (sv->ctx != NULL) {
		while (zmq_ctx_term(sv->ctx) != 0 && zmq_errno() == EINTR) {
			continue;
		}
	}
	/*
	 * Gone, a client gets "no such file" at once instead of waiting for
	 * a reply.  The caller still holds the lock: the file is ours.
	 */
	if (sv->ipc_path[0] != '\0') {
		(void)unlink(sv->ipc_path);
	}
	free(sv);
}

/* Remove a stale socket file, but nothing that is not a socket. */
static int
remove_stale(const char *path, struct buurt_err *err)
{
	struct stat sb;
	int e;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT) {
			return 0;
		}
		e = errno;
		return buurt_err_set(err, server_errcode(e), NULL, "%s: %s",
		    path, strerror(e));
	}
	if (!S_ISSOCK(sb.st_mode)) {
		return buurt_err_set(err, BUURT_EEXIST, NULL, "%s exists and"
		    " is not a socket; not removing it", path);
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		return buurt_err_set(err, server_errcode(e), NULL,
		    "cannot remove the stale socket %s: %s", path,
		    strerror(e));
	}
	return 0;
}

int
server_open(struct server **outp, const char *endpoint,
    const char *ipc_path, const struct log *lg, struct buurt_err *err)
{
	struct server *sv = NULL;
	int64_t maxmsg = BUURT_MSG_MAX;
	int one = 1, zero = 0, rc = 0;

	if (outp == NULL || endpoint == NULL || lg == NULL) {
		return buurt_err_set(err, BUURT_EINVAL, NULL, NULL);
	}
	*outp = NULL;
	if ((sv = calloc(1, sizeof(*sv))) == NULL) {
		return buurt_err_set(err, BUURT_ENOMEM, NULL, NULL);
	}
	sv->log = lg;
	if (snprintf(sv->endpoint, sizeof(sv->endpoint), "%s", endpoint) >=
	    (int)sizeof(sv->endpoint) || (ipc_path != NULL &&
	    strlen(ipc_path) >= sizeof(sv->ipc_path))) {
		rc = buurt_err_set(err, BUURT_EINVAL, NULL,
		    "endpoint too long");
		goto out;
	}
	if ((sv->ctx = zmq_ctx_new()) == NULL) {
		rc = server_fail(err, "cannot create", "a zmq context");
		goto out;
	}
	if ((sv->sock = zmq_socket(sv->ctx, ZMQ_ROUTER)) == NULL) {
		rc = server_fail(err, "cannot create", "the api socket");
		goto out;
	}
	/*
	 * No frame over the protocol's cap is even read; replies to a
	 * client that has gone fail instead of vanishing; closing drops
	 * what is unsent at once.
	 */
	if (zmq_setsockopt(sv->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) != 0 ||
	    zmq_setsockopt(sv->sock, ZMQ_ROUTER_MANDATORY, &one,
	    sizeof(one)) != 0 ||
	    zmq_setsockopt(sv->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0) {
		rc = server_fail(err, "cannot set up", "the api socket");
		goto out;
	}
	if (ipc_path != NULL && ipc_path[0] != '\0' &&
	    (rc = remove_stale(ipc_path, err)) != 0) {
		goto out;
	}
	if (zmq_bind(sv->sock, endpoint) != 0) {
		rc = server_fail(err, "cannot bind", endpoint);
		goto out;
	}
	if (ipc_path != NULL && ipc_path[0] != '\0') {
		(void)snprintf(sv->ipc_path, sizeof(sv->ipc_path), "%s",
		    ipc_path);
		/* Whoever may connect may write: the node's user only. */
		if (chmod(ipc_path, 0600) != 0) {
			int e = errno;

			rc = buurt_err_set(err, server_errcode(e), NULL,
			    "cannot chmod %s: %s", ipc_path, strerror(e));
			goto out;
		}
	}
	*outp = sv;
	sv = NULL;
out:
	server_close(sv);
	return rc;
}

static void
frames_close(zmq_msg_t *frames, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		(void)zmq_msg_close(&frames[i]);
	}
}

/*
 * Receive one whole message; keep at most SERVER_FRAMES_MAX frames in
 * frames[], consume and count the rest.  *nframes is the count received.
 * Returns 0, BUURT_EBUSY (nothing to read), or a zmq failure.
 */
static int
recv_message(struct server *sv, zmq_msg_t *frames, size_t *kept,
    size_t *nframes)
{
	zmq_msg_t extra;
	zmq_msg_t *m;
	int more;

	*kept = 0;
	*nframes = 0;
	for (;;) {
		m = *kept < SERVER_FRAMES_MAX ? &frames[*kept] : &extra;
		(void)zmq_msg_init(m);
		while (zmq_msg_recv(m, sv->sock, ZMQ_DONTWAIT) < 0) {
			int e = zmq_errno();

			if (e == EINTR) {
				continue;
			}
			(void)zmq_msg_close(m);
			/* Parts of a message arrive together, or none. */
			return server_errcode(e);
		}
		more = zmq_msg_more(m);
		if (m == &extra) {
			(void)zmq_msg_close(&extra);
		} else {
			(*kept)++;
		}
		(*nframes)++;
		if (!more) {
			return 0;
		}
	}
}

/* Send routing frames[0..n) and the reply. */
static int
send_reply(struct server *sv, zmq_msg_t *frames, size_t n,
    const uint8_t *reply, size_t rlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (zmq_msg_send(&frames[i], sv->sock,
		    ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
			return zmq_errno();
		}
	}
	if (zmq_send(sv->sock, reply, rlen, ZMQ_DONTWAIT) < 0) {
		return zmq_errno();
	}
	return 0;
}

/* Serve one request if one is waiting.  Returns 0 or a zmq failure. */
static int
serve_one(struct server *sv, server_handler *handle, void *ctx)
{
	zmq_msg_t frames[SERVER_FRAMES_MAX];
	uint8_t *reply = NULL;
	size_t kept = 0, n = 0, rlen = 0, len;
	int rc, e;

	if ((rc = recv_message(sv, frames, &kept, &n)) != 0) {
		rc = rc == BUURT_EBUSY ? 0 : rc;
		goto out;
	}
	if (n > SERVER_FRAMES_MAX || n < 2) {
		log_debug(sv->log, "api: dropped a message of %zu frames", n);
		goto out;
	}
	len = zmq_msg_size(&frames[n - 1]);
	if (len > BUURT_MSG_MAX) {
		log_debug(sv->log, "api: dropped a request of %zu bytes", len);
		goto out;
	}
	rc = handle(ctx, zmq_msg_data(&frames[n - 1]), len, &reply, &rlen);
	if (rc != 0 || reply == NULL) {
		log_warning(sv->log, "api: no reply could be made: %s",
		    buurt_strerror(rc));
		rc = 0;
		goto out;
	}
	if ((e = send_reply(sv, frames, n - 1, reply, rlen)) != 0) {
		/* A client that left or does not read loses its reply. */
		log_debug(sv->log, "api: reply dropped: %s",
		    zmq_strerror(e));
		if (e == ETERM) {
			rc = server_errcode(e);
		}
	}
out:
	free(reply);
	frames_close(frames, kept);
	return rc;
}

/* Read what a signal handler wrote to the self-pipe. */
static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0) {
		continue;
	}
}

int
server_run(struct server *sv, int stop_fd, server_handler *handle,
    void *ctx)
{
	zmq_pollitem_t items[2];
	int n, rc;

	if (sv == NULL || handle == NULL) {
		return BUURT_EINVAL;
	}
	for (;;) {
		memset(items, 0, sizeof(items));
		items[0].socket = sv->sock;
		items[0].events = ZMQ_POLLIN;
		items[1].fd = stop_fd;
		items[1].events = ZMQ_POLLIN;
		n = zmq_poll(items, stop_fd >= 0 ? 2 : 1, -1);
		if (n < 0 && zmq_errno() == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = server_errcode(zmq_errno());
			log_error(sv->log, "api: poll: %s",
			    zmq_strerror(zmq_errno()));
			return rc == BUURT_ENOMEM ? rc : BUURT_EIO;
		}
		if (stop_fd >= 0 && (items[1].revents & ZMQ_POLLIN)) {
			drain(stop_fd);
			return 0;
		}
		if (items[0].revents & ZMQ_POLLIN) {
			if ((rc = serve_one(sv, handle, ctx)) != 0) {
				log_error(sv->log, "api: receive: %s",
				    buurt_strerror(rc));
				return rc == BUURT_ENOMEM ? rc : BUURT_EIO;
			}
		}
	}
}
