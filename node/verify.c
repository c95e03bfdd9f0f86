/*
 * verify.c: the signature-checking pool; see verify.h.
 *
 * A job is an array; every thread, the caller's too, takes the next
 * index from an atomic counter until none is left, so a slow thread
 * holds nobody up.  Jobs are told apart by a generation number.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <buurt/error.h>
#include <buurt/wire.h>

#include "verify.h"

struct verify_pool {
	pthread_mutex_t mu;
	pthread_cond_t go;		/* a new job, or stop */
	pthread_cond_t done;		/* a helper finished its share */
	pthread_t tid[VERIFY_THREADS_MAX];
	unsigned helpers;		/* threads started */
	unsigned long gen;		/* the current job's number */
	unsigned busy;			/* helpers still on the job */
	bool stop;
	/* The job. */
	const struct buurt_pub_update *pu;
	int *rc;
	size_t n;
	atomic_size_t next;		/* next index to take */
};

static void
verify_share(struct verify_pool *vp)
{
	size_t i;

	while ((i = atomic_fetch_add(&vp->next, 1)) < vp->n) {
		vp->rc[i] = buurt_pub_update_verify(&vp->pu[i]);
	}
}

static void *
verify_main(void *arg)
{
	struct verify_pool *vp = arg;
	unsigned long seen = 0;

	pthread_mutex_lock(&vp->mu);
	for (;;) {
		while (!vp->stop && vp->gen == seen) {
			pthread_cond_wait(&vp->go, &vp->mu);
		}
		if (vp->stop) {
			break;
		}
		seen = vp->gen;
		pthread_mutex_unlock(&vp->mu);
		verify_share(vp);
		pthread_mutex_lock(&vp->mu);
		if (--vp->busy == 0) {
			pthread_cond_signal(&vp->done);
		}
	}
	pthread_mutex_unlock(&vp->mu);
	return NULL;
}

int
verify_pool_new(struct verify_pool **outp, unsigned threads)
{
	struct verify_pool *vp;
	long cpus;

	*outp = NULL;
	if (threads == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (threads > VERIFY_THREADS_MAX) {
		threads = VERIFY_THREADS_MAX;
	}
	if ((vp = calloc(1, sizeof(*vp))) == NULL) {
		return BUURT_ENOMEM;
	}
	if (pthread_mutex_init(&vp->mu, NULL) != 0) {
		free(vp);
		return BUURT_ENOMEM;
	}
	if (pthread_cond_init(&vp->go, NULL) != 0) {
		pthread_mutex_destroy(&vp->mu);
		free(vp);
		return BUURT_ENOMEM;
	}
	if (pthread_cond_init(&vp->done, NULL) != 0) {
		pthread_cond_destroy(&vp->go);
		pthread_mutex_destroy(&vp->mu);
		free(vp);
		return BUURT_ENOMEM;
	}
	atomic_init(&vp->next, 0);
	while (vp->helpers + 1 < threads) {
		if (pthread_create(&vp->tid[vp->helpers], NULL, verify_main,
		    vp) != 0) {
			verify_pool_free(vp);
			return BUURT_EIO;
		}
		vp->helpers++;
	}
	*outp = vp;
	return 0;
}

void
verify_pool_free(struct verify_pool *vp)
{
	unsigned i;

	if (vp == NULL) {
		return;
	}
	pthread_mutex_lock(&vp->mu);
	vp->stop = true;
	pthread_cond_broadcast(&vp->go);
	pthread_mutex_unlock(&vp->mu);
	for (i = 0; i < vp->helpers; i++) {
		pthread_join(vp->tid[i], NULL);
	}
	pthread_cond_destroy(&vp->done);
	pthread_cond_destroy(&vp->go);
	pthread_mutex_destroy(&vp->mu);
	free(vp);
}

unsigned
verify_pool_threads(const struct verify_pool *vp)
{
	return vp != NULL ? vp->helpers + 1 : 1;
}

void
verify_run(struct verify_pool *vp, const struct buurt_pub_update *pu,
    int *rc, size_t n)
{
	size_t i;

	/* Waking a thread costs more than checking one signature. */
	if (vp == NULL || vp->helpers == 0 || n < 2) {
		for (i = 0; i < n; i++) {
			rc[i] = buurt_pub_update_verify(&pu[i]);
		}
		return;
	}
	pthread_mutex_lock(&vp->mu);
	vp->pu = pu;
	vp->rc = rc;
	vp->n = n;
	atomic_store(&vp->next, 0);
	vp->busy = vp->helpers;
	vp->gen++;
	pthread_cond_broadcast(&vp->go);
	pthread_mutex_unlock(&vp->mu);
	verify_share(vp);
	pthread_mutex_lock(&vp->mu);
	while (vp->busy > 0) {
		pthread_cond_wait(&vp->done, &vp->mu);
	}
	vp->pu = NULL;
	vp->rc = NULL;
	vp->n = 0;
	pthread_mutex_unlock(&vp->mu);
}
