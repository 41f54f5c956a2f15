/* dist_none.c: a build without MPI: every run is one process, and there is
 * nothing to exchange (see dist.h). */
#include <stdlib.h>
#include <stdio.h>
#include "dist/dist.h"

struct cnn_dist {
    const volatile sig_atomic_t *flag; /* cnn_dist_watch */
    long steps;
};

cnn_dist *cnn_dist_start(char *err)
{
    cnn_dist *d = calloc(1, sizeof *d);
    if (!d) snprintf(err, CNN_ERR_LEN, "out of memory");
    return d;
}

void cnn_dist_end(cnn_dist *d) { free(d); }
int cnn_dist_rank(const cnn_dist *d) { return 0; }
int cnn_dist_size(const cnn_dist *d) { return 1; }
const char *cnn_dist_name(const cnn_dist *d) { return ""; }
const char *cnn_dist_library(void) { return NULL; }
int cnn_dist_agree(cnn_dist *d, int failed) { return failed ? 0 : -1; }
void cnn_dist_watch(cnn_dist *d, const volatile sig_atomic_t *flag) { d->flag = flag; }
int cnn_dist_stopping(const cnn_dist *d) { return d->flag && *d->flag; }

void cnn_dist_traffic(const cnn_dist *d, double *bytes, double *seconds, long *steps)
{
    *bytes = *seconds = 0;
    *steps = d->steps;
}

int dist_reserve(cnn_dist *d, size_t len, int max_block) { return 0; }
void dist_sum_tree(cnn_dist *d, float *buf, size_t len, int holders) {}

void dist_share_shards(cnn_dist *d, const dist_part *p, int shards, double *loss, int *correct,
                       int *bad)
{
    d->steps++;
}

void dist_share_rows(cnn_dist *d, const dist_part *p, int shards, float *rows, size_t per) {}
void dist_share_range(cnn_dist *d, double *vals, int n, int per) {}
void dist_sum_ints(cnn_dist *d, int *v, int n) {}
void dist_from_root(cnn_dist *d, uint32_t *v, int n) {}
