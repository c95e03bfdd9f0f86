/*
 * identity.h: the node's identity, its Ed25519 key pair, kept in
 * DIR/node.key in the key-file text form of buurt/key.h, and the lock
 * DIR/buurtd.lock that lets one daemon at a time sign in the namespace.
 *
 * Two daemons signing in one namespace would each extend the chain from
 * the same head: equivocation, which freezes the namespace on every
 * honest node.  So the lock is taken before the key is loaded, and held
 * until the node is closed.
 *
 * The secret lives only in sodium_malloc'd memory (guard pages, locked
 * against swapping, read-only once loaded) and is wiped from every
 * buffer it passed through.  libsodium must have been initialised.
 * Not thread-safe while loading; a loaded identity may be read from any
 * thread.
 */
#ifndef BUURT_NODE_IDENTITY_H
#define BUURT_NODE_IDENTITY_H

#include <stdint.h>

#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/limits.h>

#define IDENTITY_KEY_FILE	"node.key"
#define IDENTITY_LOCK_FILE	"buurtd.lock"
#define IDENTITY_CURVE_LEN	32	/* bytes of a CURVE key, either half */

struct identity {
	uint8_t pk[BUURT_KEY_LEN];	/* public key = namespace id */
	char hex[BUURT_HEX_KEY_LEN + 1]; /* pk as lowercase hex */
	uint8_t *secret;		/* BUURT_SECRET_LEN bytes,
					 * sodium_malloc'd, read-only */
};

/*
 * identity_load: read DIR/node.key.  The file must be a regular file
 * (not a symbolic link) that neither group nor others may access at all.
 * On success *outp is owned by the caller (identity_close); on failure
 * it is NULL and err (may be NULL) says why.
 * Returns 0, BUURT_ENOTFOUND (no key file), BUURT_EPERM (mode, type,
 * symbolic link, or unreadable), BUURT_EFORMAT (not a key file),
 * BUURT_EIO, BUURT_ENOMEM, BUURT_EINVAL.
 */
int identity_load(struct identity **outp, const char *dir,
    struct buurt_err *err);

/*
 * identity_create: make a fresh key pair and write it durably to
 * DIR/node.key, mode 0600, never replacing a file that is there: it is
 * written to a temporary file, synced, linked into place, and the
 * directory synced.  The caller must hold the lock.  On success *outp is
 * owned by the caller (identity_close); on failure it is NULL.
 * Returns 0, BUURT_EEXIST (a key file is there), BUURT_EPERM, BUURT_EIO,
 * BUURT_ENOMEM, BUURT_EINVAL.
 */
int identity_create(struct identity **outp, const char *dir,
    struct buurt_err *err);

/*
 * identity_curve_keys: the node's CURVE (X25519) key pair, derived from
 * its Ed25519 key pair with crypto_sign_ed25519_*_to_curve25519 (design
 * D6), so that one key pair serves signing and transport.  pk gets the
 * public key; sk the secret, which the caller owns and must wipe
 * (buurt_wipe) as soon as it has handed it on.
 * Returns 0, BUURT_EINVAL (id NULL, or its public key not a valid
 * Ed25519 point).
 */
int identity_curve_keys(const struct identity *id,
    uint8_t pk[IDENTITY_CURVE_LEN], uint8_t sk[IDENTITY_CURVE_LEN]);

/*
 * identity_curve_public: the CURVE public key of the node whose id (its
 * Ed25519 public key, its namespace id) is node_id: what a CURVE client
 * gives as the server key, and what an allow-list holds.  Works on any
 * node's id, not only ours.
 * Returns 0, BUURT_EINVAL (node_id is not a usable Ed25519 public key:
 * not on the curve, or of small order; out is then zeroed).
 */
int identity_curve_public(uint8_t out[IDENTITY_CURVE_LEN],
    const uint8_t node_id[BUURT_KEY_LEN]);

/* identity_close: wipe and free the secret, free id; id may be NULL. */
void identity_close(struct identity *id);

/*
 * identity_lock: take an exclusive, non-blocking flock(2) on
 * DIR/buurtd.lock (created mode 0600) and write our pid into it.  The
 * lock holds until identity_unlock or the process ends, however it ends.
 * On success *fdp is the lock's descriptor; on failure it is -1.
 * Returns 0, BUURT_EBUSY (another process holds it; err says which pid),
 * BUURT_EPERM, BUURT_EIO, BUURT_EINVAL.
 */
int identity_lock(int *fdp, const char *dir, struct buurt_err *err);

/* identity_unlock: release the lock taken by identity_lock; -1 is fine. */
void identity_unlock(int fd);

#endif /* BUURT_NODE_IDENTITY_H */
