/* dist.c: how a run's work is divided among its processes, and the check
 * that they all start from the same network, state and data. The exchanges
 * themselves are in dist_mpi.c (or dist_none.c). */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "dist/dist.h"

dist_part dist_part_of(const cnn_dist *d, int shards)
{
    int procs = d ? cnn_dist_size(d) : 1, rank = d ? cnn_dist_rank(d) : 0;
    int width = 1;
    while (width < shards) width *= 2;
    if (width < procs) width = procs;
    dist_part p = { .block = width / procs };
    p.first = rank * p.block;
    p.count = shards - p.first;
    if (p.count > p.block) p.count = p.block;
    if (p.count < 0) p.count = 0;
    p.holders = (shards + p.block - 1) / p.block;
    return p;
}

void dist_range(const cnn_dist *d, int n, int *lo, int *hi)
{
    int procs = d ? cnn_dist_size(d) : 1, rank = d ? cnn_dist_rank(d) : 0;
    *lo = (int)((long)n * rank / procs);
    *hi = (int)((long)n * (rank + 1) / procs);
}

static uint32_t crc(uint32_t c, const void *p, size_t len)
{
    const unsigned char *b = p;
    while (len > 0) { /* zlib takes at most 4 GiB at a time */
        uInt part = len > (1u << 30) ? 1u << 30 : (uInt)len;
        c = (uint32_t)crc32(c, b, part);
        b += part;
        len -= part;
    }
    return c;
}

static uint32_t data_digest(const cnn_dataset *d)
{
    uint32_t c = crc(0, &d->count, sizeof d->count);
    c = crc(c, d->pixels, (size_t)d->count * d->image_size);
    return d->labels ? crc(c, d->labels, (size_t)d->count) : c;
}

int cnn_dist_check_run(cnn_dist *d, const cnn_net *net, const cnn_train_state *st,
                       const cnn_dataset *train, const cnn_dataset *test, char *err)
{
    static const char *what[3] = { "training data", "test data",
                                   "network, parameters or training state" };
    /* the state field by field: a struct's padding bytes are undefined */
    const int ints[] = { st->epoch,  st->epochs, (int)st->schedule, st->shift,         st->flip,
                         st->resize, st->batch,  st->limit,         st->select_classes };
    const float sgd[] = { st->sgd.lr, st->sgd.momentum, st->sgd.weight_decay };
    uint32_t mine[3], root[3];
    mine[0] = train ? data_digest(train) : 0;
    mine[1] = test ? data_digest(test) : 0;
    mine[2] = crc(0, net->text, strlen(net->text));
    mine[2] = crc(mine[2], net->params, net->n_params * sizeof(float));
    mine[2] = crc(mine[2], net->stats, net->n_stats * sizeof(float));
    if (st->velocity) mine[2] = crc(mine[2], st->velocity, net->n_params * sizeof(float));
    mine[2] = crc(mine[2], ints, sizeof ints);
    mine[2] = crc(mine[2], sgd, sizeof sgd);
    mine[2] = crc(mine[2], &st->rng.s, sizeof st->rng.s);
    for (int i = 0; i < 3; i++) root[i] = mine[i];
    dist_from_root(d, root, 3);
    for (int i = 0; i < 3; i++)
        if (mine[i] != root[i]) {
            snprintf(err, CNN_ERR_LEN,
                     "the %s here differ%s from rank 0's (every process "
                     "must train the same model on the same files)",
                     what[i], i < 2 ? "s" : "");
            return -1;
        }
    return 0;
}
