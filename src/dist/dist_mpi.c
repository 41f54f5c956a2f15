/* dist_mpi.c: the processes of a run over MPI (see dist.h).
 *
 * MPI starts only when a launcher (mpirun, srun) started this process, so a
 * plain `cnn train` never touches it. Only the main thread calls MPI,
 * between parallel regions. Errors come back to us (MPI_ERRORS_RETURN): a
 * failed exchange prints one line naming this rank and its peer, then
 * MPI_Abort ends every process; a process that dies is noticed by mpirun,
 * which ends the others. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist/dist.h"

/* log2 of the most processes: far beyond any cluster */
#define MAX_LEVELS 24

struct cnn_dist {
    int rank, size;
    int mpi; /* MPI_Init ran here */
    char name[MPI_MAX_PROCESSOR_NAME + 48];
    const volatile sig_atomic_t *flag; /* cnn_dist_watch */
    int stopping;
    float *scratch; /* dist_sum_tree: the partner's half */
    size_t scratch_len;
    double *records; /* dist_share_shards: every rank's block */
    int *counts;     /* dist_share_rows: every rank's count, then offset */
    int max_block;
    double bytes, seconds; /* cnn_dist_traffic */
    long steps;
};

static int launched_by_mpi(void)
{
    static const char *vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

/* A failed exchange: one line, then every process ends. */
static void check(const cnn_dist *d, int rc, const char *what, int peer)
{
    if (rc == MPI_SUCCESS) return;
    char why[MPI_MAX_ERROR_STRING], with[32] = "";
    int len;
    if (MPI_Error_string(rc, why, &len) != MPI_SUCCESS) snprintf(why, sizeof why, "error %d", rc);
    if (peer >= 0) snprintf(with, sizeof with, " with rank %d", peer);
    fprintf(stderr, "cnn: %s%s%s failed: %s; stopping every process\n", d->name, what, with, why);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

cnn_dist *cnn_dist_start(char *err)
{
    cnn_dist *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, CNN_ERR_LEN, "out of memory");
        return NULL;
    }
    d->size = 1;
    if (!launched_by_mpi()) return d;
    int provided, len;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, CNN_ERR_LEN, "MPI did not start");
        free(d);
        return NULL;
    }
    d->mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    char host[MPI_MAX_PROCESSOR_NAME];
    if (MPI_Get_processor_name(host, &len) != MPI_SUCCESS) snprintf(host, sizeof host, "?");
    if (d->size > 1)
        snprintf(d->name, sizeof d->name, "rank %d of %d on %s: ", d->rank, d->size, host);
    return d;
}

void cnn_dist_end(cnn_dist *d)
{
    if (!d) return;
    if (d->mpi) MPI_Finalize();
    free(d->scratch);
    free(d->records);
    free(d->counts);
    free(d);
}

int cnn_dist_rank(const cnn_dist *d) { return d->rank; }
int cnn_dist_size(const cnn_dist *d) { return d->size; }
const char *cnn_dist_name(const cnn_dist *d) { return d->name; }

const char *cnn_dist_library(void)
{
    static char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len;
    if (!version[0] && MPI_Get_library_version(version, &len) == MPI_SUCCESS)
        version[strcspn(version, ",\n")] = '\0'; /* "Open MPI v4.1.4, package: ..." */
    return version;
}

int cnn_dist_agree(cnn_dist *d, int failed)
{
    if (d->size == 1) return failed ? 0 : -1;
    int mine = failed ? d->rank : d->size, lowest;
    check(d, MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce",
          -1);
    return lowest < d->size ? lowest : -1;
}

void cnn_dist_watch(cnn_dist *d, const volatile sig_atomic_t *flag) { d->flag = flag; }

int cnn_dist_stopping(const cnn_dist *d)
{
    if (d->size == 1) return d->flag && *d->flag;
    return d->stopping;
}

void cnn_dist_traffic(const cnn_dist *d, double *bytes, double *seconds, long *steps)
{
    *bytes = d->bytes;
    *seconds = d->seconds;
    *steps = d->steps;
}

int dist_reserve(cnn_dist *d, size_t len, int max_block)
{
    if (d->size == 1) return 0;
    if (len > (size_t)1 << 30) return -1; /* MPI counts are ints */
    if (len / 2 + 1 > d->scratch_len) {
        float *s = realloc(d->scratch, sizeof(float) * (len / 2 + 1));
        if (!s) return -1;
        d->scratch = s;
        d->scratch_len = len / 2 + 1;
    }
    if (!d->counts && !(d->counts = malloc(sizeof(int) * 2 * d->size))) return -1;
    if (max_block > d->max_block) {
        double *r = realloc(d->records, sizeof(double) * d->size * (1 + 3 * (size_t)max_block));
        if (!r) return -1;
        d->records = r;
        d->max_block = max_block;
    }
    return 0;
}

static void exchange(cnn_dist *d, const float *give, size_t n_give, float *take, size_t n_take,
                     int peer, int level)
{
    check(d,
          MPI_Sendrecv(give, (int)n_give, MPI_FLOAT, peer, level, take, (int)n_take, MPI_FLOAT,
                       peer, level, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Sendrecv", peer);
    d->bytes += sizeof(float) * (double)n_give;
}

void dist_sum_tree(cnn_dist *d, float *buf, size_t len, int holders)
{
    if (d->size == 1) return;
    double t0 = MPI_Wtime();
    size_t lo = 0, hi = len, seg_lo[MAX_LEVELS], seg_hi[MAX_LEVELS];
    int levels = 0;
    /* reduce-scatter: at level k the groups of 2^k ranks pair up; each rank
     * keeps half of its segment and adds the partner's copy of that half */
    for (int bit = 1; bit < d->size; bit *= 2, levels++) {
        int peer = d->rank ^ bit, lower = !(d->rank & bit);
        int lower_first = d->rank & ~(2 * bit - 1), higher_first = lower_first + bit;
        size_t mid = lo + (hi - lo) / 2;
        size_t keep = lower ? lo : mid, keep_n = lower ? mid - lo : hi - mid;
        size_t give = lower ? mid : lo, give_n = lower ? hi - mid : mid - lo;
        seg_lo[levels] = lo;
        seg_hi[levels] = hi;
        if (higher_first < holders) { /* both groups hold sums: add */
            exchange(d, buf + give, give_n, d->scratch, keep_n, peer, levels);
            float *restrict mine = buf + keep;
            const float *restrict theirs = d->scratch;
            if (lower)
                for (size_t i = 0; i < keep_n; i++) mine[i] = mine[i] + theirs[i];
            else
                for (size_t i = 0; i < keep_n; i++) mine[i] = theirs[i] + mine[i];
        } else if (lower_first < holders) { /* only the lower one: it passes up */
            if (lower)
                check(d, MPI_Send(buf + give, (int)give_n, MPI_FLOAT, peer, levels, MPI_COMM_WORLD),
                      "MPI_Send", peer);
            else
                check(d,
                      MPI_Recv(buf + keep, (int)keep_n, MPI_FLOAT, peer, levels, MPI_COMM_WORLD,
                               MPI_STATUS_IGNORE),
                      "MPI_Recv", peer);
            if (lower) d->bytes += sizeof(float) * (double)give_n;
        }
        lo = keep;
        hi = keep + keep_n;
    }
    /* all-gather: the same pairs in reverse order swap their finished halves */
    while (levels-- > 0) {
        int bit = 1 << levels, lower = !(d->rank & bit);
        size_t mid = seg_lo[levels] + (seg_hi[levels] - seg_lo[levels]) / 2;
        size_t other = lower ? mid : seg_lo[levels];
        size_t other_n = lower ? seg_hi[levels] - mid : mid - seg_lo[levels];
        exchange(d, buf + lo, hi - lo, buf + other, other_n, d->rank ^ bit, MAX_LEVELS + levels);
        lo = seg_lo[levels];
        hi = seg_hi[levels];
    }
    d->seconds += MPI_Wtime() - t0;
}

void dist_share_shards(cnn_dist *d, const dist_part *p, int shards, double *loss, int *correct,
                       int *bad)
{
    d->steps++;
    if (d->size == 1) return;
    double t0 = MPI_Wtime();
    int per = 1 + 3 * p->block;
    double *mine = d->records + (size_t)d->rank * per;
    mine[0] = d->flag && *d->flag;
    for (int i = 0; i < p->count; i++) {
        mine[1 + 3 * i] = loss[p->first + i];
        mine[2 + 3 * i] = correct[p->first + i];
        mine[3 + 3 * i] = bad[p->first + i];
    }
    check(d,
          MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, d->records, per, MPI_DOUBLE,
                        MPI_COMM_WORLD),
          "MPI_Allgather", -1);
    d->bytes += sizeof(double) * (double)per * (d->size - 1);
    d->stopping = 0;
    for (int r = 0; r < d->size; r++) {
        const double *rec = d->records + (size_t)r * per;
        d->stopping |= rec[0] != 0;
        for (int s = r * p->block; s < shards && s < (r + 1) * p->block; s++) {
            const double *v = rec + 1 + 3 * (s - r * p->block);
            loss[s] = v[0];
            correct[s] = (int)v[1];
            bad[s] = (int)v[2];
        }
    }
    d->seconds += MPI_Wtime() - t0;
}

void dist_share_rows(cnn_dist *d, const dist_part *p, int shards, float *rows, size_t per)
{
    if (d->size == 1) return;
    double t0 = MPI_Wtime();
    for (int r = 0; r < d->size; r++) {
        int lo = r * p->block < shards ? r * p->block : shards;
        int hi = (r + 1) * p->block < shards ? (r + 1) * p->block : shards;
        d->counts[r] = (int)((size_t)(hi - lo) * per);
        d->counts[d->size + r] = (int)((size_t)lo * per);
    }
    check(d,
          MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, rows, d->counts, d->counts + d->size,
                         MPI_FLOAT, MPI_COMM_WORLD),
          "MPI_Allgatherv", -1);
    d->bytes += sizeof(float) * (double)per * shards * (d->size - 1) / d->size;
    d->seconds += MPI_Wtime() - t0;
}

void dist_share_range(cnn_dist *d, double *vals, int n, int per)
{
    if (d->size == 1) return;
    int *counts = malloc(sizeof(int) * 2 * d->size);
    if (!counts) check(d, MPI_ERR_NO_MEM, "MPI_Allgatherv", -1);
    for (int r = 0; r < d->size; r++) {
        int lo = (int)((long)n * r / d->size), hi = (int)((long)n * (r + 1) / d->size);
        counts[r] = (hi - lo) * per;
        counts[d->size + r] = lo * per;
    }
    check(d,
          MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, vals, counts, counts + d->size,
                         MPI_DOUBLE, MPI_COMM_WORLD),
          "MPI_Allgatherv", -1);
    free(counts);
}

void dist_sum_ints(cnn_dist *d, int *v, int n)
{
    if (d->size == 1) return;
    check(d, MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce",
          -1);
}

void dist_from_root(cnn_dist *d, uint32_t *v, int n)
{
    if (d->size == 1) return;
    check(d, MPI_Bcast(v, n, MPI_UINT32_T, 0, MPI_COMM_WORLD), "MPI_Bcast", 0);
}
