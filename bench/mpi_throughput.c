/* mpi_throughput: training images/sec of data-parallel training, and what
 * the processes exchange. Run it under mpirun (tools/mpi-bench.sh runs -np 1
 * and -np 2); rank 0 prints one line per network and batch size.
 *
 * Per configuration: check that the shared gradient equals this process's
 * own, bit for bit (REFUSED otherwise), warm up, then time training steps
 * for --seconds. Reported: images/sec over all processes, the wall time of
 * a step, the part of it rank 0 spent in exchanges (the tree sum of the
 * gradient and the per-shard results, including waiting for slower
 * processes), the tree sum alone when all processes start it together, and
 * the bytes each process sent per step, against the reduce-scatter +
 * all-gather volume 2 x 4 x P x (1-1/R). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"
#include "machine.h"
#include "list.h"
#include "dist/dist.h"
#include "sys/runtime.h"

#define MAX_LIST 16

typedef struct {
    const char *nets[MAX_LIST];
    int n_nets, batches[MAX_LIST], n_batches, threads;
    double seconds;
} options;

/* One step's inputs: random images and labels, the same on every process. */
typedef struct {
    float *x;
    uint8_t *y;
} batch_data;

static int same_gradient(cnn_net *net, cnn_trainer *shared, const batch_data *b, int batch)
{
    char err[CNN_ERR_LEN];
    cnn_trainer *alone = cnn_trainer_new(net, batch, 1, err);
    if (!alone) return 0;
    const float *g1, *g2;
    cnn_gradient(alone, b->x, b->y, batch, &g1);
    cnn_gradient(shared, b->x, b->y, batch, &g2);
    int same = memcmp(g1, g2, sizeof(float) * net->n_params) == 0;
    cnn_trainer_free(alone);
    return same;
}

/* Steps until rank 0 has timed `seconds`; it raises the stop flag, which
 * every process sees after the same step. Returns the steps. */
static long timed_steps(cnn_dist *d, cnn_trainer *t, const batch_data *b, int batch, double seconds,
                        volatile sig_atomic_t *stop)
{
    cnn_sgd sgd = { .lr = 0.001f, .momentum = 0.9f }; /* small, so the weights stay sane */
    long steps = 0;
    double t0 = cnn_clock();
    *stop = 0;
    do {
        cnn_train_step(t, b->x, b->y, batch, &sgd, NULL);
        steps++;
        if (cnn_dist_rank(d) == 0 && cnn_clock() - t0 >= seconds) *stop = 1;
    } while (!cnn_dist_stopping(d));
    return steps;
}

/* Seconds of one dist_sum_tree of the gradient when every process starts it
 * at once: the exchange itself, without waiting for a slower process. */
static double sum_alone(cnn_dist *d, size_t len)
{
    float *g = calloc(len, sizeof(float));
    if (cnn_dist_agree(d, !g) >= 0) {
        free(g);
        return 0;
    }
    double best = 1e30;
    for (int r = 0; r < 20; r++) {
        cnn_dist_agree(d, 0); /* everyone starts together */
        double t0 = cnn_clock();
        dist_sum_tree(d, g, len, cnn_dist_size(d));
        double el = cnn_clock() - t0;
        if (el < best) best = el;
    }
    free(g);
    return best;
}

static void measure(cnn_dist *d, const options *o, const char *name, int batch)
{
    static volatile sig_atomic_t stop;
    char err[CNN_ERR_LEN];
    int rank0 = cnn_dist_rank(d) == 0, procs = cnn_dist_size(d);
    cnn_net *net = cnn_net_load(name, err);
    if (!net) {
        if (rank0) printf("%-7s %5d  REFUSED: %s\n", name, batch, err);
        return;
    }
    cnn_rng rng = cnn_rng_seed(1);
    cnn_net_init(net, &rng);
    size_t isz = cnn_shape_size(net->input);
    batch_data b = { malloc(sizeof(float) * isz * batch), malloc(batch) };
    for (size_t i = 0; b.x && i < isz * batch; i++) b.x[i] = cnn_rng_uniform(&rng);
    for (int i = 0; b.y && i < batch; i++) b.y[i] = (uint8_t)(cnn_rng_next(&rng) % net->classes);
    cnn_trainer *t = b.x && b.y ? cnn_trainer_new_dist(net, batch, o->threads, d, err) : NULL;
    int failed = cnn_dist_agree(d, !t || !same_gradient(net, t, &b, batch));
    if (failed >= 0) {
        if (rank0)
            printf("%-7s %5d  REFUSED on rank %d: %s\n", name, batch, failed,
                   t ? "the shared gradient differs from one process's" : err);
    } else {
        cnn_dist_watch(d, &stop);
        timed_steps(d, t, &b, batch, o->seconds / 4, &stop); /* warm-up */
        double bytes0, comm0, bytes1, comm1;
        long s0, s1;
        cnn_dist_traffic(d, &bytes0, &comm0, &s0);
        double t0 = cnn_clock();
        long steps = timed_steps(d, t, &b, batch, o->seconds, &stop);
        double wall = cnn_clock() - t0;
        cnn_dist_traffic(d, &bytes1, &comm1, &s1);
        cnn_dist_watch(d, NULL);
        double alone = sum_alone(d, net->n_params);
        double model = 2.0 * 4 * net->n_params * (1 - 1.0 / procs);
        if (rank0)
            printf("%-7s %5d %5d %7d %11.0f %9.2f %9.3f %9.2f %9.3f %12.0f %12.0f\n", name, batch,
                   procs, cnn_trainer_threads(t), steps * batch / wall, 1e3 * wall / steps,
                   1e3 * (comm1 - comm0) / steps, 1e3 * (wall - (comm1 - comm0)) / steps,
                   1e3 * alone, (bytes1 - bytes0) / steps, model);
    }
    fflush(stdout);
    cnn_trainer_free(t);
    free(b.x);
    free(b.y);
    cnn_net_free(net);
}

static const char *USAGE =
    "usage: mpirun -np N mpi_throughput [--net NAME]... [--batch 64,256] [--threads T]\n"
    "                                  [--seconds 3]\n"
    "\n"
    "Data-parallel training on the processes of the MPI job (default networks\n"
    "lenet and vgg; --threads per process, default the cores it may run on).\n"
    "Per network and batch: images/sec over all processes,\n"
    "ms per step, of which rank 0's exchanges (comm, with waiting for the others)\n"
    "and the rest (compute); the gradient's tree sum alone, all processes starting\n"
    "together (ms); bytes each process sent per step, beside the model\n"
    "2 x 4 x params x (1-1/N).\n";

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        { "net", required_argument, 0, 'n' },     { "batch", required_argument, 0, 'b' },
        { "threads", required_argument, 0, 't' }, { "seconds", required_argument, 0, 's' },
        { "help", no_argument, 0, 'h' },          { 0, 0, 0, 0 },
    };
    *o = (options){ .batches = { 64, 256 }, .n_batches = 2, .seconds = 3 };
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n':
            if (o->n_nets == MAX_LIST) return -1;
            o->nets[o->n_nets++] = optarg;
            break;
        case 'b':
            if (parse_list(optarg, o->batches, MAX_LIST, &o->n_batches)) return -1;
            break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > 1024) return -1;
            break;
        case 's':
            o->seconds = strtod(optarg, &end);
            if (*end || !(o->seconds > 0.01 && o->seconds < 600)) return -1;
            break;
        case 'h': printf("%s", USAGE); exit(0);
        default: return -1;
        }
    }
    if (optind < argc) return -1;
    if (!o->n_nets) {
        o->nets[o->n_nets++] = "lenet";
        o->nets[o->n_nets++] = "vgg";
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    char err[CNN_ERR_LEN];
    cnn_runtime_setup(argv);
    if (parse_options(argc, argv, &o)) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    cnn_dist *d = cnn_dist_start(err);
    if (!d) {
        fprintf(stderr, "mpi_throughput: %s\n", err);
        return 1;
    }
    if (cnn_dist_rank(d) == 0) {
        const char *mpi = cnn_dist_library();
        machine_print_header();
        printf("# %s, %d process%s\n", mpi ? mpi : "built without MPI", cnn_dist_size(d),
               cnn_dist_size(d) > 1 ? "es" : "");
        printf("%-7s %5s %5s %7s %11s %9s %9s %9s %9s %12s %12s\n", "net", "batch", "procs",
               "threads", "train img/s", "step ms", "comm ms", "compute", "sum alone", "bytes/step",
               "model bytes");
    }
    for (int n = 0; n < o.n_nets; n++)
        for (int b = 0; b < o.n_batches; b++) measure(d, &o, o.nets[n], o.batches[b]);
    cnn_dist_end(d);
    return 0;
}
