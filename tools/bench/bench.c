/*
 * buurt-bench: measures, in one run on this machine, its own bounds
 * (Ed25519 verification, durable LMDB commits) and what real buurtd
 * processes on loopback achieve against them: catch-up over sync, live
 * ingest from pub, client writes, propagation over one and two hops,
 * memory and disk footprint, and the aggregator's query.  Prints a table,
 * or with --json one JSON object with every figure, ratio and target.
 * docs/man/buurt-bench.1.scd describes each measurement and its method.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>
#include <zmq.h>

#include <buurt/api.h>
#include <buurt/client.h>
#include <buurt/error.h>
#include <buurt/key.h>
#include <buurt/version.h>
#include <buurt/wire.h>

#include "bench.h"
#include "clone.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
"NAME\n"
"    buurt-bench - measure buurtd against this machine's own bounds\n"
"\n"
"SYNOPSIS\n"
"    buurt-bench [--quick] [--json] [--updates U] [--buurtd PATH]\n"
"                [--clone-rate R]\n"
"\n"
"DESCRIPTION\n"
"    Runs real buurtd processes on 127.0.0.1 in a scratch directory\n"
"    under $TMPDIR and measures: the verify-only rate of the updates it\n"
"    ingests (1 and N threads) and LMDB's synced single-commit rate\n"
"    (the bounds); catch-up of U updates in 30 namespaces over sync;\n"
"    live ingest from pub; client writes with 1 and 16 clients;\n"
"    propagation latency over one and two hops at 100 and 1,000\n"
"    updates/s; private memory and store size; and the aggregator's\n"
"    query.  Every figure is shown against its target.\n"
"\n"
"OPTIONS\n"
"    --quick         a scale that runs in about a minute (CI)\n"
"    --json          print one JSON object instead of the table\n"
"    --updates U     updates to catch up (default 1000000; quick 60000)\n"
"    --buurtd PATH   the buurtd to run (default: $BUURTD, then the one\n"
"                    next to buurt-bench in the build tree or install)\n"
"    --clone-rate R  the Clone-pattern baseline's entries/s, for the\n"
"                    catch-up ratio (or $BUURT_BENCH_CLONE_RATE)\n"
"    -h, --help      this text\n");
}

/*
 * The scale of a run.
 */
struct scale {
	uint64_t catchup;	/* updates to catch up (30 namespaces) */
	uint64_t live;		/* updates published live */
	double bound_s;		/* seconds per bound measurement */
	double writes_s;	/* seconds per client-write measurement */
	double prop_s;		/* seconds per propagation rate */
	unsigned prop_threads;	/* writer threads of propagation */
};

/*
 * Results: figures (positive numbers), ratios, targets, and information
 * that may be zero (counts of what went another way).
 */
#define MAX_ITEMS	96

struct item {
	const char *key;	/* JSON key */
	const char *label;	/* table label */
	const char *unit;	/* unit, "" for a ratio */
	double v;
};

struct target {
	const char *key;	/* JSON key */
	const char *what;	/* what is compared */
	double v;		/* the value compared */
	char op;		/* '>' (at least) or '<' (at most) */
	double target;		/* the target */
	bool known;		/* false: no value to compare (n/a) */
};

static struct {
	struct item figs[MAX_ITEMS];
	unsigned n_figs;
	struct item ratios[MAX_ITEMS];
	unsigned n_ratios;
	struct item info[MAX_ITEMS];
	unsigned n_info;
	struct target tg[MAX_ITEMS];
	unsigned n_tg;
	bool json;
} res;

static double
fig(const char *key, const char *label, const char *unit, double v)
{
	struct item *it = &res.figs[res.n_figs++];

	*it = (struct item){ key, label, unit, v };
	if (!res.json) {
		printf("  %-44s %14.1f %s\n", label, v, unit);
		fflush(stdout);
	}
	return v;
}

static double
ratio(const char *key, const char *label, double a, double b)
{
	struct item *it = &res.ratios[res.n_ratios++];

	*it = (struct item){ key, label, "", b > 0 ? a / b : 0 };
	if (!res.json) {
		printf("  %-44s %14.3f\n", label, it->v);
		fflush(stdout);
	}
	return it->v;
}

static void
info(const char *key, const char *label, double v)
{
	struct item *it = &res.info[res.n_info++];

	*it = (struct item){ key, label, "", v };
	if (!res.json) {
		printf("  %-44s %14.0f\n", label, v);
		fflush(stdout);
	}
}

static void
target(const char *key, const char *what, double v, char op, double t,
    bool known)
{
	res.tg[res.n_tg++] = (struct target){ key, what, v, op, t, known };
}

static void
section(const char *name)
{
	if (!res.json) {
		printf("%s\n", name);
		fflush(stdout);
	}
}

/*
 * Bounds.
 */

struct verify_job {
	const struct peer *p;
	size_t from, to;	/* updates [from, to) */
	double secs;		/* run at least this long */
	uint64_t done;		/* verifications made */
	double elapsed;
};

static void *
verify_run(void *arg)
{
	struct verify_job *j = arg;
	const uint8_t *msg, *sig, *pk;
	double t0 = bench_now();
	size_t i, len;

	do {
		for (i = j->from; i < j->to; i++) {
			peer_signed(j->p, i, &msg, &len, &sig, &pk);
			if (crypto_sign_verify_detached(sig, msg, len,
			    pk) != 0) {
				bench_die("verify bound: a bad signature");
			}
		}
		j->done += j->to - j->from;
		j->elapsed = bench_now() - t0;
	} while (j->elapsed < j->secs);
	return NULL;
}

/*
 * Verifications per second over the signed bytes of the updates the
 * peer publishes, on n threads, each taking a share of them.
 */
static double
verify_rate(const struct peer *p, unsigned n, double secs)
{
	struct verify_job j[64];
	pthread_t th[64];
	size_t total = peer_total(p);
	uint64_t done = 0;
	double el = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		j[i] = (struct verify_job){ p, total * i / n, total * (i + 1) /
		    n, secs, 0, 0 };
		if (pthread_create(&th[i], NULL, verify_run, &j[i]) != 0) {
			bench_die("pthread_create");
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		done += j[i].done;
		el = j[i].elapsed > el ? j[i].elapsed : el;
	}
	return (double)done / el;
}

/*
 * LMDB's synced single-commit rate in dir: one ~400-byte record per
 * durable transaction, default flags (the node's: no MDB_NOSYNC, no
 * MDB_NOMETASYNC).
 */
static double
lmdb_commit_rate(const char *dir, double secs)
{
	MDB_env *env = NULL;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	uint8_t key[8], val[400];
	uint64_t n = 0, i;
	double t0, el;
	int rc;

	if (mkdir(dir, 0700) != 0) {
		bench_die("mkdir %s: %s", dir, strerror(errno));
	}
	memset(val, 'x', sizeof(val));
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, (size_t)1 << 30)) != 0 ||
	    (rc = mdb_env_open(env, dir, 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		bench_die("lmdb bound: %s", mdb_strerror(rc));
	}
	t0 = bench_now();
	do {
		for (i = 0; i < 8; i++) {
			key[i] = (uint8_t)(n >> (56 - 8 * i));
		}
		k = (MDB_val){ sizeof(key), key };
		v = (MDB_val){ sizeof(val), val };
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
		    (rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0 ||
		    (rc = mdb_txn_commit(txn)) != 0) {
			bench_die("lmdb bound: %s", mdb_strerror(rc));
		}
		n++;
		el = bench_now() - t0;
	} while (el < secs);
	mdb_env_close(env);
	return (double)n / el;
}

/*
 * Heads.
 */

/*
 * The sum of the seqs node c holds of the namespaces in ns[0..n), or of
 * every namespace but skip (n = 0).
 */
static uint64_t
held(struct buurt_client *c, const uint8_t *ns, unsigned n,
    const uint8_t *skip)
{
	struct buurt_reply rp;
	uint64_t sum = 0;
	size_t i;
	unsigned k;

	proc_status(c, &rp);
	for (i = 0; i < rp.status.n_ns; i++) {
		const uint8_t *id = rp.status.ns[i].ns;

		if (n == 0) {
			if (skip == NULL || memcmp(id, skip,
			    BUURT_KEY_LEN) != 0) {
				sum += rp.status.ns[i].seq;
			}
			continue;
		}
		for (k = 0; k < n; k++) {
			if (memcmp(id, ns + (size_t)k * BUURT_KEY_LEN,
			    BUURT_KEY_LEN) == 0) {
				sum += rp.status.ns[i].seq;
			}
		}
	}
	buurt_reply_fini(&rp);
	return sum;
}

/* The seq node c holds of namespace ns. */
static uint64_t
held_one(struct buurt_client *c, const uint8_t ns[BUURT_KEY_LEN])
{
	return held(c, ns, 1, NULL);
}

/*
 * Poll node c until held() reaches want or timeout seconds pass; returns
 * the seconds since t0 at which it did (negative on timeout).
 */
static double
wait_held(struct buurt_client *c, const uint8_t *ns, unsigned n,
    const uint8_t *skip, uint64_t want, double t0, double timeout,
    double poll)
{
	uint64_t got;

	for (;;) {
		got = held(c, ns, n, skip);
		if (got >= want) {
			return bench_now() - t0;
		}
		if (bench_now() - t0 > timeout) {
			fprintf(stderr, "buurt-bench: waited %.0f s: %llu of "
			    "%llu updates held\n", timeout,
			    (unsigned long long)got,
			    (unsigned long long)want);
			return -1;
		}
		bench_sleep(poll);
	}
}

/*
 * Client writes.
 */

/* One durable put of a ~400-byte initiative through client c. */
static int
put_one(struct buurt_client *c, unsigned who, uint64_t i, uint64_t *seq)
{
	struct buurt_request rq;
	struct buurt_reply rp;
	uint8_t body[BENCH_BODY_MAX];
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_API_PUT;
	(void)snprintf(rq.kind, sizeof(rq.kind), "initiative");
	(void)snprintf(rq.id, sizeof(rq.id), "w%u-%llu", who,
	    (unsigned long long)i);
	rq.body_len = gen_body(body, 1, 300 + (i * 7) % 200, i % 100);
	rq.body = body;
	rc = buurt_client_call(c, &rq, &rp);
	if (rc == 0) {
		if (seq != NULL) {
			*seq = rp.item.env.seq;
		}
		buurt_reply_fini(&rp);
	}
	return rc;
}

struct writer {
	const struct node_proc *np;
	unsigned who;
	double secs;
	atomic_int *start;	/* go when set */
	uint64_t done;
	double elapsed;
	int rc;
};

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	struct buurt_client *c = proc_client(w->np);
	double t0;

	while (!atomic_load(w->start)) {
		bench_sleep(0.0005);
	}
	t0 = bench_now();
	do {
		if ((w->rc = put_one(c, w->who, w->done, NULL)) != 0) {
			break;
		}
		w->done++;
		w->elapsed = bench_now() - t0;
	} while (w->elapsed < w->secs);
	buurt_client_close(c);
	return NULL;
}

/* Acknowledged writes/s of n concurrent clients, each its connection. */
static double
write_rate(const struct node_proc *np, unsigned n, double secs,
    unsigned base)
{
	struct writer w[16];
	pthread_t th[16];
	atomic_int start = 0;
	uint64_t done = 0;
	double el = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		w[i] = (struct writer){ np, base + i, secs, &start, 0, 0, 0 };
		if (pthread_create(&th[i], NULL, writer_run, &w[i]) != 0) {
			bench_die("pthread_create");
		}
	}
	bench_sleep(0.2);	/* let every client connect */
	atomic_store(&start, 1);
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (w[i].rc != 0) {
			bench_die("put: %s", buurt_strerror(w[i].rc));
		}
		done += w[i].done;
		el = w[i].elapsed > el ? w[i].elapsed : el;
	}
	return (double)done / el;
}

/*
 * Propagation: writers put on A at an offered rate; a CURVE subscriber
 * on B's pub and one on C's see each update when that node has
 * committed it (a node publishes after its commit).
 */
struct prop {
	const struct node_proc *a;
	double rate;		/* offered writes/s */
	uint64_t n;		/* writes to make */
	double t0;		/* schedule start */
	atomic_ullong next;	/* next write to take */
	uint64_t base;		/* A's seq before the run */
	double *ack;		/* [seq - base]: ack time, 0 if none */
	size_t cap;		/* entries of ack, arrive_b, arrive_c */
	atomic_int failed;
};

static void *
prop_writer(void *arg)
{
	struct prop *pr = arg;
	struct buurt_client *c = proc_client(pr->a);
	uint64_t i, seq;
	double when, now;

	while ((i = atomic_fetch_add(&pr->next, 1)) < pr->n) {
		when = pr->t0 + (double)i / pr->rate;
		if ((now = bench_now()) < when) {
			bench_sleep(when - now);
		}
		if (put_one(c, 900, i + (uint64_t)(pr->rate * 1000), &seq) !=
		    0) {
			atomic_fetch_add(&pr->failed, 1);
			continue;
		}
		now = bench_now();
		if (seq > pr->base && seq - pr->base < pr->cap) {
			pr->ack[seq - pr->base] = now;
		}
	}
	buurt_client_close(c);
	return NULL;
}

/* A CURVE SUB on node np's pub, for topic (A's namespace). */
static void *
sub_open(void *ctx, const struct node_proc *np, const uint8_t *topic)
{
	char pk[41], sk[41];
	uint8_t server[32];
	void *s;

	if ((s = zmq_socket(ctx, ZMQ_SUB)) == NULL ||
	    zmq_curve_keypair(pk, sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(server, np->id) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pk, 40) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, 40) != 0 ||
	    zmq_setsockopt(s, ZMQ_SUBSCRIBE, topic, BUURT_KEY_LEN) != 0 ||
	    zmq_connect(s, np->pub) != 0) {
		bench_die("sub %s: %s", np->pub, zmq_strerror(zmq_errno()));
	}
	return s;
}

/*
 * Receive what is waiting on s; record the arrival time of each update
 * of seq in (base, base + cap) in arr; returns the highest seq seen.
 */
static uint64_t
sub_drain(void *s, uint64_t base, double *arr, size_t cap)
{
	uint8_t topic[64], frame[BUURT_MSG_MAX];
	struct buurt_pub_update pu;
	uint64_t top = 0;
	int more, tl, fl;
	size_t ml = sizeof(more);

	for (;;) {
		if ((tl = zmq_recv(s, topic, sizeof(topic), ZMQ_DONTWAIT)) <
		    0) {
			return top;
		}
		more = 0;
		(void)zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
		if (!more) {
			continue;
		}
		if ((fl = zmq_recv(s, frame, sizeof(frame), 0)) < 0) {
			return top;
		}
		if (fl > (int)sizeof(frame) || buurt_pub_update_decode(&pu,
		    topic, (size_t)tl, frame, (size_t)fl, NULL) != 0) {
			continue;
		}
		if (pu.env.seq > base && pu.env.seq - base < cap &&
		    arr[pu.env.seq - base] == 0) {
			arr[pu.env.seq - base] = bench_now();
		}
		top = pu.env.seq > top ? pu.env.seq : top;
	}
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Latency percentiles (ms) of arrivals arr against acks. */
static void
latencies(const struct prop *pr, const double *arr, double *p50,
    double *p99, double *max, uint64_t *lost)
{
	double *l = calloc(pr->cap, sizeof(double));
	size_t i, n = 0;

	*lost = 0;
	if (l == NULL) {
		bench_die("out of memory");
	}
	for (i = 1; i < pr->cap; i++) {
		if (pr->ack[i] == 0) {
			continue;
		}
		if (arr[i] == 0) {
			(*lost)++;
			continue;
		}
		/*
		 * The node may publish before its client reads the ack:
		 * then the update was applied "at once" (0).
		 */
		l[n++] = arr[i] > pr->ack[i] ? (arr[i] - pr->ack[i]) * 1e3 :
		    0;
	}
	if (n == 0) {
		bench_die("propagation: nothing arrived");
	}
	qsort(l, n, sizeof(double), dcmp);
	*p50 = l[n / 2];
	*p99 = l[(size_t)ceil(0.99 * (double)n) - 1];
	*max = l[n - 1];
	free(l);
}

/* Node np's counters gaps and chunks (through a client of its own). */
static void
node_counters(const struct node_proc *np, uint64_t *gaps, uint64_t *chunks)
{
	struct buurt_client *c = proc_client(np);
	struct buurt_reply rp;

	proc_status(c, &rp);
	*gaps = proc_counter(&rp, "gaps");
	*chunks = proc_counter(&rp, "chunks");
	buurt_reply_fini(&rp);
	buurt_client_close(c);
}

/* One propagation run at rate for secs; prints its figures. */
static void
propagate(void *ctx, const struct node_proc *a, const struct node_proc *b,
    const struct node_proc *c, struct buurt_client *ca, double rate,
    double secs, unsigned threads, const char *tag)
{
	struct prop pr;
	pthread_t th[32];
	void *sb, *sc;
	double *arr_b, *arr_c, t_end, p50, p99, max;
	uint64_t lost_b, lost_c, top_c = 0, i, gaps_b, gaps_c, chunks_b,
	    chunks_c, g2, k2;
	char key[64], label[96];
	zmq_pollitem_t pi[2];

	memset(&pr, 0, sizeof(pr));
	pr.a = a;
	pr.rate = rate;
	pr.n = (uint64_t)(rate * secs);
	pr.base = held_one(ca, a->id);
	pr.cap = pr.n + 1;
	pr.ack = calloc(pr.cap, sizeof(double));
	arr_b = calloc(pr.cap, sizeof(double));
	arr_c = calloc(pr.cap, sizeof(double));
	if (pr.ack == NULL || arr_b == NULL || arr_c == NULL) {
		bench_die("out of memory");
	}
	sb = sub_open(ctx, b, a->id);
	sc = sub_open(ctx, c, a->id);
	/*
	 * Slow joiners: write until one update reaches both subscribers,
	 * so that both are connected before the measured run.
	 */
	{
		uint64_t seq = 0, got_b = 0, got_c = 0;
		double tw = bench_now(), last = 0;
		double dummy[1];

		while (got_b < seq || got_c < seq || seq == 0) {
			if (bench_now() - last > 0.5) {
				if (put_one(ca, 899, (uint64_t)(bench_now() *
				    1e3), &seq) != 0) {
					bench_die("propagation: warm-up put");
				}
				last = bench_now();
			}
			i = sub_drain(sb, 0, dummy, 0);
			got_b = i > got_b ? i : got_b;
			i = sub_drain(sc, 0, dummy, 0);
			got_c = i > got_c ? i : got_c;
			if (bench_now() - tw > 20) {
				bench_die("propagation: B or C did not "
				    "publish A's updates within 20 s");
			}
			bench_sleep(0.005);
		}
		pr.base = seq;
		/*
		 * B and C caught up with A's earlier writes when they began
		 * to follow, and publish them all: wait until both pubs
		 * have been quiet for 0.3 s, so that the run starts on idle
		 * nodes and an idle subscriber.
		 */
		for (last = bench_now(); bench_now() - last < 0.3;) {
			if (sub_drain(sb, 0, dummy, 0) != 0 ||
			    sub_drain(sc, 0, dummy, 0) != 0) {
				last = bench_now();
			}
			if (bench_now() - tw > 60) {
				bench_die("propagation: B's or C's pub did not "
				    "fall quiet within 60 s");
			}
			bench_sleep(0.005);
		}
	}
	node_counters(b, &gaps_b, &chunks_b);
	node_counters(c, &gaps_c, &chunks_c);
	pr.t0 = bench_now() + 0.05;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&th[i], NULL, prop_writer, &pr) != 0) {
			bench_die("pthread_create");
		}
	}
	t_end = pr.t0 + secs + 10;
	pi[0] = (zmq_pollitem_t){ .socket = sb, .events = ZMQ_POLLIN };
	pi[1] = (zmq_pollitem_t){ .socket = sc, .events = ZMQ_POLLIN };
	while (bench_now() < t_end) {
		(void)zmq_poll(pi, 2, 10);
		(void)sub_drain(sb, pr.base, arr_b, pr.cap);
		i = sub_drain(sc, pr.base, arr_c, pr.cap);
		top_c = i > top_c ? i : top_c;
		if (atomic_load(&pr.next) >= pr.n + threads &&
		    top_c >= pr.base + pr.n) {
			break;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
	}
	(void)snprintf(key, sizeof(key), "prop_%s_offered", tag);
	info(strdup(key), "offered writes/s", rate);
	/* What A acknowledged, per second of the schedule it kept. */
	for (i = 1, p50 = 0, max = 0; i < pr.cap; i++) {
		if (pr.ack[i] != 0) {
			p50 += 1;
			max = pr.ack[i] > max ? pr.ack[i] : max;
		}
	}
	(void)snprintf(key, sizeof(key), "prop_%s_achieved", tag);
	info(strdup(key), "acknowledged writes/s", max > pr.t0 ? p50 /
	    (max - pr.t0) : 0);
	latencies(&pr, arr_b, &p50, &p99, &max, &lost_b);
	(void)snprintf(key, sizeof(key), "prop_%s_hop1_p50_ms", tag);
	(void)snprintf(label, sizeof(label), "%s/s one hop p50", tag);
	fig(strdup(key), strdup(label), "ms", p50);
	(void)snprintf(key, sizeof(key), "prop_%s_hop1_p99_ms", tag);
	(void)snprintf(label, sizeof(label), "%s/s one hop p99", tag);
	fig(strdup(key), strdup(label), "ms", p99);
	if (rate >= 1000) {
		target("prop_1000_hop1_p99_ms", "p99 one hop at 1,000/s, ms",
		    p99, '<', 5, true);
	}
	(void)snprintf(key, sizeof(key), "prop_%s_hop1_max_ms", tag);
	(void)snprintf(label, sizeof(label), "%s/s one hop max", tag);
	fig(strdup(key), strdup(label), "ms", max);
	latencies(&pr, arr_c, &p50, &p99, &max, &lost_c);
	(void)snprintf(key, sizeof(key), "prop_%s_hop2_p50_ms", tag);
	(void)snprintf(label, sizeof(label), "%s/s two hops p50", tag);
	fig(strdup(key), strdup(label), "ms", p50);
	(void)snprintf(key, sizeof(key), "prop_%s_hop2_p99_ms", tag);
	(void)snprintf(label, sizeof(label), "%s/s two hops p99", tag);
	fig(strdup(key), strdup(label), "ms", p99);
	if (rate >= 1000) {
		target("prop_1000_hop2_p99_ms",
		    "p99 two hops at 1,000/s, ms", p99, '<', 10, true);
	}
	(void)snprintf(key, sizeof(key), "prop_%s_hop2_max_ms", tag);
	(void)snprintf(label, sizeof(label), "%s/s two hops max", tag);
	fig(strdup(key), strdup(label), "ms", max);
	(void)snprintf(key, sizeof(key), "prop_%s_lost_hop1", tag);
	info(strdup(key), "not seen on B's pub", (double)lost_b);
	(void)snprintf(key, sizeof(key), "prop_%s_lost_hop2", tag);
	info(strdup(key), "not seen on C's pub", (double)lost_c);
	/*
	 * Updates that went the fetch way (a gap, or a heartbeat ahead of
	 * the pub stream) wait for a round trip: count those fetches.
	 */
	node_counters(b, &g2, &k2);
	(void)snprintf(key, sizeof(key), "prop_%s_gaps_b", tag);
	info(strdup(key), "gaps seen by B", (double)(g2 - gaps_b));
	(void)snprintf(key, sizeof(key), "prop_%s_chunks_b", tag);
	info(strdup(key), "chunks fetched by B", (double)(k2 - chunks_b));
	node_counters(c, &g2, &k2);
	(void)snprintf(key, sizeof(key), "prop_%s_gaps_c", tag);
	info(strdup(key), "gaps seen by C", (double)(g2 - gaps_c));
	(void)snprintf(key, sizeof(key), "prop_%s_chunks_c", tag);
	info(strdup(key), "chunks fetched by C", (double)(k2 - chunks_c));
	(void)snprintf(key, sizeof(key), "prop_%s_failed_writes", tag);
	info(strdup(key), "failed writes", (double)atomic_load(&pr.failed));
	zmq_close(sb);
	zmq_close(sc);
	free(pr.ack);
	free(arr_b);
	free(arr_c);
}

/*
 * Query: the aggregator's `query` of one kind over every namespace.
 */
static int
query_page(struct buurt_client *c, const uint8_t *cursor, size_t cursor_len,
    uint32_t limit, struct buurt_reply *rp)
{
	struct buurt_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.op = BUURT_API_QUERY;
	(void)snprintf(rq.kind, sizeof(rq.kind), "initiative");
	rq.limit = limit;
	memcpy(rq.cursor, cursor, cursor_len);
	rq.cursor_len = cursor_len;
	return buurt_client_call(c, &rq, rp);
}

static void
query_bench(struct buurt_client *c)
{
	struct buurt_reply rp;
	uint8_t cur[BUURT_CURSOR_MAX];
	double t, lat[5];
	size_t cl = 0;
	uint64_t n = 0;
	unsigned i;
	int rc;

	for (i = 0; i < 5; i++) {
		t = bench_now();
		if ((rc = query_page(c, NULL, 0, 0, &rp)) != 0) {
			bench_die("query: %s", buurt_strerror(rc));
		}
		lat[i] = (bench_now() - t) * 1e3;
		buurt_reply_fini(&rp);
	}
	qsort(lat, 5, sizeof(double), dcmp);
	fig("query_first_page_ms", "first page (50), median of 5", "ms",
	    lat[2]);
	t = bench_now();
	do {
		if ((rc = query_page(c, cur, cl, BUURT_PAGE_MAX, &rp)) != 0) {
			bench_die("query: %s", buurt_strerror(rc));
		}
		n += rp.n_items;
		cl = rp.has_next ? rp.next_cursor_len : 0;
		memcpy(cur, rp.next_cursor, cl);
		i = rp.has_next;
		buurt_reply_fini(&rp);
	} while (i);
	t = bench_now() - t;
	info("query_records", "initiative records scanned", (double)n);
	fig("query_scan_rate", "full scan, pages of 1000", "records/s",
	    (double)n / t);
}

/*
 * Output.
 */
static void
print_targets(void)
{
	unsigned i;

	if (res.json) {
		return;
	}
	printf("targets (issue 5; the full run's scale)\n");
	for (i = 0; i < res.n_tg; i++) {
		const struct target *t = &res.tg[i];

		if (!t->known) {
			printf("  %-44s %14s %c= %-10g n/a\n", t->what, "-",
			    t->op == '>' ? '>' : '<', t->target);
			continue;
		}
		printf("  %-44s %14.3f %c= %-10g %s\n", t->what, t->v,
		    t->op == '>' ? '>' : '<', t->target,
		    (t->op == '>' ? t->v >= t->target : t->v <= t->target) ?
		    "met" : "missed");
	}
}

static void
print_json(bool quick, const struct scale *sc, unsigned ncpu, double total)
{
	unsigned i;

	printf("{\"version\":\"%s\",\"quick\":%s,\"cpus\":%u,"
	    "\"seconds\":%.1f,\"scale\":{\"catchup_updates\":%llu,"
	    "\"live_updates\":%llu,\"namespaces\":%d},", buurt_version(),
	    quick ? "true" : "false", ncpu, total,
	    (unsigned long long)sc->catchup, (unsigned long long)sc->live,
	    BENCH_NAMESPACES);
	printf("\"figures\":{");
	for (i = 0; i < res.n_figs; i++) {
		printf("%s\"%s\":%.6g", i ? "," : "", res.figs[i].key,
		    res.figs[i].v);
	}
	printf("},\"ratios\":{");
	for (i = 0; i < res.n_ratios; i++) {
		printf("%s\"%s\":%.6g", i ? "," : "", res.ratios[i].key,
		    res.ratios[i].v);
	}
	printf("},\"info\":{");
	for (i = 0; i < res.n_info; i++) {
		printf("%s\"%s\":%.6g", i ? "," : "", res.info[i].key,
		    res.info[i].v);
	}
	printf("},\"targets\":{");
	for (i = 0; i < res.n_tg; i++) {
		const struct target *t = &res.tg[i];

		printf("%s\"%s\":{\"value\":", i ? "," : "", t->key);
		if (t->known) {
			printf("%.6g", t->v);
		} else {
			printf("null");
		}
		printf(",\"op\":\"%s\",\"target\":%g,\"met\":%s}",
		    t->op == '>' ? ">=" : "<=", t->target, !t->known ?
		    "null" : (t->op == '>' ? t->v >= t->target : t->v <=
		    t->target) ? "true" : "false");
	}
	printf("}}\n");
}

/* buurtd: --buurtd, $BUURTD, next to us in the build tree, installed. */
static const char *
find_buurtd(const char *opt)
{
	static char path[PATH_MAX + 32];
	const char *cand[] = { "../node/buurtd", "../../node/buurtd",
	    "../sbin/buurtd", "buurtd" };
	char self[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	if (opt != NULL) {
		return opt;
	}
	if ((opt = getenv("BUURTD")) != NULL && *opt != '\0') {
		return opt;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
		}
		for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
			(void)snprintf(path, sizeof(path), "%s/%s", self,
			    cand[i]);
			if (access(path, X_OK) == 0) {
				return path;
			}
		}
	}
	fprintf(stderr, "buurt-bench: no buurtd found: use --buurtd PATH\n");
	exit(2);
}

/* The number after "KEY": inside the object "SECTION": of json, or -1. */
static double
json_num(const char *json, const char *section, const char *key)
{
	char want[64];
	const char *p;

	(void)snprintf(want, sizeof(want), "\"%s\":", section);
	if ((p = strstr(json, want)) == NULL) {
		return -1;
	}
	(void)snprintf(want, sizeof(want), "\"%s\":", key);
	if ((p = strstr(p, want)) == NULL) {
		return -1;
	}
	return strtod(p + strlen(want), NULL);
}

/*
 * Instructions per update under callgrind (tools/bench/instr.sh running
 * buurt-instr, both from the build tree): the figures that do not drift
 * with the machine's load.  Skipped, and said so, where valgrind or the
 * two programs are missing (an installed buurt-bench).
 */
static void
instructions(void)
{
	char self[PATH_MAX], prog[PATH_MAX + 32], cmd[2 * PATH_MAX + 128];
	char out[8192], *slash;
	double verify, live, catchup;
	size_t got = 0, n;
	ssize_t len;
	FILE *fp;

	section("instructions per update (callgrind, fixed workload)");
	if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		info("instr_skipped", "skipped: no path to buurt-instr", 1);
		return;
	}
	self[len] = '\0';
	if ((slash = strrchr(self, '/')) != NULL) {
		*slash = '\0';
	}
	(void)snprintf(prog, sizeof(prog), "%s/bench/buurt-instr", self);
	if (access(prog, X_OK) != 0 || access(BENCH_INSTR_SH, R_OK) != 0 ||
	    system("valgrind --version >/dev/null 2>&1") != 0) {
		info("instr_skipped", "skipped: no valgrind, buurt-instr or"
		    " instr.sh", 1);
		return;
	}
	(void)snprintf(cmd, sizeof(cmd), "sh '%s' --json '%s' 2>/dev/null",
	    BENCH_INSTR_SH, prog);
	if ((fp = popen(cmd, "r")) == NULL) {
		bench_die("instr.sh: cannot run it");
	}
	while (got < sizeof(out) - 1 &&
	    (n = fread(out + got, 1, sizeof(out) - 1 - got, fp)) > 0) {
		got += n;
	}
	out[got] = '\0';
	if (pclose(fp) != 0) {
		bench_die("instr.sh failed");
	}
	verify = json_num(out, "verify", "per_update");
	live = json_num(out, "live", "per_update");
	catchup = json_num(out, "catchup", "per_update");
	if (verify <= 0 || live <= 0 || catchup <= 0) {
		bench_die("instr.sh: no figures in its output");
	}
	fig("instr_verify", "one Ed25519 verification", "instructions",
	    verify);
	fig("instr_live", "a live-ingested update", "instructions", live);
	fig("instr_catchup", "a caught-up update", "instructions", catchup);
	ratio("instr_live_vs_verify", "live update / one verification", live,
	    verify);
	target("instr_live_vs_verify", "instructions: live / verification",
	    live / verify, '<', 1.15, true);
	target("instr_catchup", "instructions per caught-up update", catchup,
	    '<', 25000, true);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "updates", required_argument, NULL, 'u' },
		{ "buurtd", required_argument, NULL, 'b' },
		{ "clone-rate", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scale sc = { 1000000, 30000, 2.0, 5.0, 5.0, 16 };
	struct node_proc up, agg, live, na, nb, nc;
	struct buurt_client *c;
	struct buurt_reply rp;
	struct peer *peer;
	const char *buurtd_opt = NULL, *scratch, *env;
	char path[2048];
	double clone_rate = 0, t0, t_all, v1, vn, lm, r, w1, w16, t;
	uint64_t raw = 0, time0, want, priv, mdb, disk;
	uint8_t *nsids;
	unsigned ncpu, i, lt;
	double vt, lm2, va1, van;
	bool quick = false;
	void *zctx;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'q':
			quick = true;
			break;
		case 'j':
			res.json = true;
			break;
		case 'u':
			sc.catchup = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			buurtd_opt = optarg;
			break;
		case 'c':
			clone_rate = strtod(optarg, NULL);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (quick) {
		sc = (struct scale){ 60000, 6000, 0.5, 3.0, 3.0, 16 };
		for (i = 1; i < (unsigned)argc; i++) {
			if (strcmp(argv[i], "--updates") == 0 &&
			    i + 1 < (unsigned)argc) {
				sc.catchup = strtoull(argv[i + 1], NULL, 10);
			}
		}
	}
	if (sc.catchup < BENCH_NAMESPACES * 10) {
		fprintf(stderr, "buurt-bench: --updates: at least %d\n",
		    BENCH_NAMESPACES * 10);
		return 2;
	}
	if (clone_rate <= 0 && (env = getenv("BUURT_BENCH_CLONE_RATE")) !=
	    NULL) {
		clone_rate = strtod(env, NULL);
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "buurt-bench: sodium_init failed\n");
		return 1;
	}
	ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	ncpu = ncpu < 1 ? 1 : ncpu > 64 ? 64 : ncpu;
	buurtd_opt = find_buurtd(buurtd_opt);
	scratch = proc_scratch();
	t_all = bench_now();
	/* Every update's time lies in the past, in order. */
	time0 = (uint64_t)time(NULL) * 1000 - 2 * sc.catchup -
	    86400000ULL;
	if (!res.json) {
		printf("buurt-bench %s: %s run, %u cpus, %llu updates to "
		    "catch up, %llu live, in %s\n", buurt_version(),
		    quick ? "quick" : "full", ncpu,
		    (unsigned long long)sc.catchup,
		    (unsigned long long)sc.live, scratch);
	}

	/* Bounds. */
	section("bounds");
	peer = peer_new(2, BENCH_NAMESPACES, sc.live / BENCH_NAMESPACES,
	    time0);
	/*
	 * A bound is what the machine can do: on a shared machine the best
	 * of three tries comes closest to it.
	 */
	v1 = vn = lm = 0;
	for (i = 0; i < 3; i++) {
		t = verify_rate(peer, 1, sc.bound_s);
		v1 = t > v1 ? t : v1;
		t = verify_rate(peer, ncpu, sc.bound_s);
		vn = t > vn ? t : vn;
		(void)snprintf(path, sizeof(path), "%s/lmdb-bound-%u", scratch,
		    i);
		t = lmdb_commit_rate(path, sc.bound_s);
		lm = t > lm ? t : lm;
	}
	fig("verify_1", "verify-only, 1 thread (best of 3)", "updates/s", v1);
	fig("verify_n", "verify-only, N threads (best of 3)", "updates/s", vn);
	info("verify_threads", "N (online cpus)", ncpu);
	ratio("verify_n_vs_1", "verify-only N threads / 1 thread", vn, v1);
	fig("lmdb_commit", "LMDB synced single commits (best of 3)",
	    "commits/s", lm);

	/* Catch-up over sync. */
	section("catch-up over sync (CURVE, loopback)");
	proc_node_init(&up, "upstream", buurtd_opt);
	(void)snprintf(path, sizeof(path), "%s/store", up.dir);
	t = bench_now();
	gen_store(path, 1, BENCH_NAMESPACES, sc.catchup / BENCH_NAMESPACES,
	    time0, &raw);
	info("catchup_generate_s", "seconds to sign and store the source",
	    bench_now() - t);
	sc.catchup = sc.catchup / BENCH_NAMESPACES * BENCH_NAMESPACES;
	proc_node_start(&up);
	c = proc_client(&up);
	want = held(c, NULL, 0, NULL);
	buurt_client_close(c);
	proc_node_init(&agg, "aggregator", buurtd_opt);
	proc_node_start(&agg);
	c = proc_client(&agg);
	t0 = bench_now();
	proc_follow(c, up.id, up.sync);
	t = wait_held(c, NULL, 0, agg.id, want, t0, 600, 0.02);
	if (t < 0) {
		bench_die("catch-up did not finish");
	}
	r = fig("catchup_rate", "catch-up", "updates/s",
	    (double)sc.catchup / t);
	info("catchup_seconds", "seconds", t);
	proc_status(c, &rp);
	info("catchup_chunks", "chunks fetched", proc_counter(&rp, "chunks"));
	info("catchup_signatures", "signatures verified",
	    proc_counter(&rp, "signatures"));
	buurt_reply_fini(&rp);
	/* The Clone pattern's late joiner, same count, same run (point 3). */
	if (clone_rate <= 0) {
		clone_rate = clone_bench_rate(sc.catchup);
	}
	if (clone_rate > 0) {
		fig("clone_rate", "Clone-pattern baseline", "entries/s",
		    clone_rate);
		ratio("catchup_vs_clone", "catch-up / Clone baseline", r,
		    clone_rate);
	}
	target("catchup_vs_clone", "catch-up / Clone baseline",
	    clone_rate > 0 ? r / clone_rate : 0, '>', 0.5, clone_rate > 0);
	ratio("catchup_vs_strfry", "catch-up / strfry import (17,000/s)", r,
	    17000);
	target("catchup_vs_strfry", "catch-up / strfry import", r / 17000,
	    '>', 10, true);
	ratio("catchup_vs_verify_1", "catch-up / verify-only 1 thread", r, v1);

	/* Footprint of the aggregator, holding what it caught up. */
	section("footprint (the aggregator after catch-up)");
	priv = proc_private_kib(agg.pid, &mdb);
	fig("private_mib", "private resident memory", "MiB",
	    (double)priv / 1024);
	info("mdb_resident_mib", "data.mdb resident (shared map, MiB)",
	    (double)mdb / 1024);
	target("private_mib", "private memory, MiB", (double)priv / 1024,
	    '<', 16, true);
	(void)snprintf(path, sizeof(path), "%s/store/data.mdb", agg.dir);
	disk = proc_disk_bytes(path);
	fig("store_mib", "store on disk (data.mdb allocated)", "MiB",
	    (double)disk / 1048576);
	fig("raw_mib", "raw bytes of the updates (envelope+sig+body)", "MiB",
	    (double)raw / 1048576);
	target("store_vs_raw", "store / raw bytes", (double)disk /
	    (double)raw, '<', 1.5, true);
	ratio("store_vs_raw", "store / raw bytes", (double)disk,
	    (double)raw);

	/* Query over the aggregator. */
	section("query (the aggregator: list of one kind, every namespace)");
	query_bench(c);
	buurt_client_close(c);
	proc_node_stop(&agg);
	proc_node_stop(&up);

	/* Live ingest from pub. */
	section("live ingest from pub (30 namespaces, one by one)");
	proc_node_init(&live, "live", buurtd_opt);
	proc_node_start(&live);
	c = proc_client(&live);
	proc_follow(c, peer_id(peer), peer_sync(peer));
	for (t0 = bench_now(); !peer_ready(peer); bench_sleep(0.01)) {
		if (bench_now() - t0 > 20) {
			bench_die("live: the follower did not subscribe");
		}
	}
	bench_sleep(0.2);
	if ((nsids = malloc(BENCH_NAMESPACES * BUURT_KEY_LEN)) == NULL) {
		bench_die("out of memory");
	}
	for (i = 0; i < BENCH_NAMESPACES; i++) {
		memcpy(nsids + (size_t)i * BUURT_KEY_LEN, peer_ns(peer, i),
		    BUURT_KEY_LEN);
	}
	/*
	 * The verify-only bound again, right before the ingest, so that the
	 * ratio compares with a bound taken under the same load.
	 */
	va1 = van = 0;
	for (i = 0; i < 3; i++) {
		t = verify_rate(peer, 1, sc.bound_s);
		va1 = t > va1 ? t : va1;
		t = verify_rate(peer, ncpu, sc.bound_s);
		van = t > van ? t : van;
	}
	v1 = fig("verify_1_adjacent", "verify-only, 1 thread, again",
	    "updates/s", va1);
	vn = fig("verify_n_adjacent", "verify-only, N threads, again",
	    "updates/s", van);
	t0 = bench_now();
	peer_publish(peer);
	t = wait_held(c, nsids, BENCH_NAMESPACES, NULL, peer_total(peer), t0,
	    30 + (double)peer_total(peer) / 50, 0.02);
	free(nsids);
	if (t < 0) {
		bench_die("live ingest did not finish");
	}
	r = fig("live_rate", "live ingest", "updates/s",
	    (double)peer_total(peer) / t);
	proc_status(c, &rp);
	info("live_applied_from_pub", "applied from pub",
	    proc_counter(&rp, "applied"));
	info("live_signatures", "signatures verified",
	    proc_counter(&rp, "signatures"));
	info("live_chunks", "chunks fetched (gaps)",
	    proc_counter(&rp, "chunks"));
	/*
	 * How many threads verify in buurtd: its status counter
	 * verify_threads where it reports one, else the one event loop.
	 */
	lt = (unsigned)proc_counter(&rp, "verify_threads");
	buurt_reply_fini(&rp);
	lt = lt == 0 ? 1 : lt;
	info("live_verify_threads", "verifying threads in buurtd", lt);
	vt = lt == 1 ? v1 : lt == ncpu ? vn : verify_rate(peer, lt,
	    sc.bound_s);
	ratio("live_vs_verify_1", "live / verify-only at 1 thread", r, v1);
	ratio("live_vs_verify_n", "live / verify-only at N threads", r, vn);
	ratio("live_vs_verify", "live / verify-only at buurtd's threads", r,
	    vt);
	target("live_vs_verify", "live / verify-only (same threads)", r / vt,
	    '>', 0.8, true);
	target("live_verify_threads", "verifying threads in buurtd", lt,
	    '>', ncpu > 1 ? 2 : 1, true);
	buurt_client_close(c);
	proc_node_stop(&live);
	peer_free(peer);

	/* Client writes. */
	section("client writes (durable, acknowledged, api socket)");
	proc_node_init(&na, "a", buurtd_opt);
	proc_node_start(&na);
	/*
	 * The synced-commit bound again, right before the writes, so that
	 * their ratios compare with a bound taken under the same load.
	 */
	lm2 = 0;
	for (i = 0; i < 3; i++) {
		(void)snprintf(path, sizeof(path), "%s/lmdb-bound-w%u",
		    scratch, i);
		t = lmdb_commit_rate(path, sc.bound_s);
		lm2 = t > lm2 ? t : lm2;
	}
	lm = fig("lmdb_commit_adjacent", "LMDB synced single commits, again "
	    "(best of 3)", "commits/s", lm2);
	w1 = fig("writes_1", "1 client", "writes/s", write_rate(&na, 1,
	    sc.writes_s, 0));
	w16 = fig("writes_16", "16 clients", "writes/s", write_rate(&na, 16,
	    sc.writes_s, 100));
	ratio("writes_1_vs_commit", "1 client / synced single commit", w1, lm);
	target("writes_1_vs_commit", "1 client / synced single commit",
	    w1 / lm, '>', 0.8, true);
	ratio("writes_16_vs_commit", "16 clients / synced single commit",
	    w16, lm);
	ratio("writes_16_vs_1", "16 clients / 1 client", w16, w1);
	target("writes_16_vs_1", "16 clients / 1 client", w16 / w1, '>', 5,
	    true);

	/* Propagation A -> B -> C. */
	section("propagation (A's acknowledged write to B's and C's pub)");
	proc_node_init(&nb, "b", buurtd_opt);
	proc_node_init(&nc, "c", buurtd_opt);
	proc_node_start(&nb);
	proc_node_start(&nc);
	c = proc_client(&nb);
	proc_follow(c, na.id, na.sync);
	buurt_client_close(c);
	c = proc_client(&nc);
	proc_follow(c, nb.id, nb.sync);
	buurt_client_close(c);
	c = proc_client(&na);
	if ((zctx = zmq_ctx_new()) == NULL) {
		bench_die("zmq_ctx_new");
	}
	propagate(zctx, &na, &nb, &nc, c, 100, sc.prop_s, sc.prop_threads,
	    "100");
	propagate(zctx, &na, &nb, &nc, c, 1000, sc.prop_s, sc.prop_threads,
	    "1000");
	zmq_ctx_term(zctx);
	buurt_client_close(c);
	proc_node_stop(&nc);
	proc_node_stop(&nb);
	proc_node_stop(&na);
	instructions();

	t = bench_now() - t_all;
	print_targets();
	if (res.json) {
		print_json(quick, &sc, ncpu, t);
	} else {
		printf("done in %.1f s\n", t);
	}
	proc_cleanup();
	return 0;
}
