/* dist.h: what the trainer and the evaluation ask of the processes of a run.
 * dist_mpi.c does it over MPI, dist_none.c for a build without MPI (one
 * process); dist.c holds what does not depend on which.
 *
 * The shard tree of a batch (train.c's sum_shards: neighbours first, then
 * pairs of pairs, a node without a right partner passing up unchanged) is
 * taken `width` = max(next power of two >= shards, processes) leaves wide.
 * With R processes (a power of two) rank r owns the aligned block of leaves
 * [r * width/R, (r+1) * width/R): it runs those shards and sums them over
 * that subtree, so that only the top log2(R) levels of the tree are left
 * to combine across processes. Leaves past the last shard are absent. */
#ifndef CNN_DIST_H
#define CNN_DIST_H

#include "cnn.h"

/* This process's part of a batch cut into `shards` shards. */
typedef struct {
    int first, count; /* its shards [first, first + count); count may be 0 */
    int block;        /* leaves per process */
    int holders;      /* processes that own a shard: ranks 0 .. holders-1 */
} dist_part;

/* The processes a trainer was made for, or NULL (train.c). */
cnn_dist *trainer_dist(const cnn_trainer *t);

/* d NULL: this process alone. */
dist_part dist_part_of(const cnn_dist *d, int shards);

/* Room for dist_sum_tree over len floats and dist_share_shards of blocks of
 * up to max_block shards, allocated once, before any step. */
int dist_reserve(cnn_dist *d, size_t len, int max_block);

/* buf (len floats) holds this process's subtree sum when its rank is below
 * `holders`. Afterwards every process's buf holds the whole tree's sum:
 * level by level, rank r's group meets the group of r XOR 2^k, and each sum
 * is (lower ranks' value) + (higher ranks' value), a group with no shard
 * adding nothing; a reduce-scatter by recursive halving, then an all-gather
 * by recursive doubling, so each process sends about 2 x 4 x len bytes. */
void dist_sum_tree(cnn_dist *d, float *buf, size_t len, int holders);

/* Per-shard loss, correct count and first non-finite layer (-1 none): each
 * process has filled those of its own shards (p); afterwards every process
 * has all `shards` of them. The stop flags travel along (cnn_dist_watch). */
void dist_share_shards(cnn_dist *d, const dist_part *p, int shards, double *loss, int *correct,
                       int *bad);

/* rows holds `per` floats for each of `shards` shards, shard after shard;
 * each process has filled its own shards' (p); afterwards every process
 * has all of them (batchnorm's chunk statistics). */
void dist_share_rows(cnn_dist *d, const dist_part *p, int shards, float *rows, size_t per);

/* The items [*lo, *hi) of n that this process takes in an evaluation. */
void dist_range(const cnn_dist *d, int n, int *lo, int *hi);
/* vals holds n items of `per` doubles; each process has filled its range;
 * afterwards every process has all of them. */
void dist_share_range(cnn_dist *d, double *vals, int n, int per);
/* Element-wise sum of every process's v (n ints), into every v. */
void dist_sum_ints(cnn_dist *d, int *v, int n);
/* Rank 0's v (n values) into every process's v. */
void dist_from_root(cnn_dist *d, uint32_t *v, int n);

#endif
