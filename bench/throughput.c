/* throughput: training and inference images/sec of the shipped networks, by
 * batch size and thread count, checked against the reference before timing.
 *
 * Each configuration runs in its own child process, so its peak resident
 * memory is its own and OpenMP starts fresh. Per configuration: verify (the
 * engine's convolutions against direct loops on the layer's real shapes and
 * weights, and the parallel gradient against the one-thread gradient, bit for
 * bit), warm up, then time repeated windows; report the median and min-max,
 * GFLOP/s, the fraction of the sgemm peak measured with the same threads, and
 * the peak resident memory without the data set. */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cnn.h"
#include "machine.h"
#include "list.h"
#include "reference.h"
#include "sys/ensure.h"
#include "sys/runtime.h"

#define MAX_LIST    16
#define MAX_WINDOWS 64

typedef struct {
    const char *nets[MAX_LIST];
    int n_nets, batches[MAX_LIST], n_batches, threads[MAX_LIST], n_threads;
    const char *data;
    double seconds; /* length of one timed window */
    int windows, layers, json, contend;
} options;

typedef struct { /* what a child reports */
    int ok;
    char why[CNN_ERR_LEN];
    double train[3], infer[3]; /* median, min, max images/sec */
    double macs_train, macs_infer, peak_gflops;
    long rss_kib;
    cnn_profile prof;
    double alone[CNN_MAX_LAYERS][CNN_GEMM_KINDS]; /* GFLOP/s of each product's shape alone */
} result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the machine's sgemm peak with T threads: a large square product ---- */

static double sgemm_peak(int threads)
{
    const int n = 1536;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
    openblas_set_num_threads(threads);
    double best = 0;
    for (int r = 0; r < 4; r++) {
        double t0 = cnn_clock();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c,
                    n);
        double g = 2.0 * n * n * n / (cnn_clock() - t0) / 1e9;
        if (g > best) best = g;
    }
    openblas_set_num_threads(1);
    free(a);
    free(b);
    free(c);
    return best;
}

/* ---- each of the step's products, called alone on its own shape ---- */

static double gemm_alone(const cnn_gemm_stat *g)
{
    size_t a_len = (size_t)g->m * g->k, b_len = (size_t)g->k * g->n;
    float *a = malloc(sizeof(float) * a_len), *b = malloc(sizeof(float) * b_len);
    float *c = malloc(sizeof(float) * g->m * g->n);
    for (size_t i = 0; i < a_len; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < b_len; i++) b[i] = (float)(i % 5) * 0.1f;
    CBLAS_TRANSPOSE ta = g->trans_a ? CblasTrans : CblasNoTrans;
    CBLAS_TRANSPOSE tb = g->trans_b ? CblasTrans : CblasNoTrans;
    int lda = g->trans_a ? g->m : g->k, ldb = g->trans_b ? g->k : g->n;
    double best = 0;
    for (int r = 0; r < 5; r++) { /* the best of 5 windows of 20 ms */
        long calls = 0;
        double t0 = cnn_clock(), el;
        do {
            cblas_sgemm(CblasRowMajor, ta, tb, g->m, g->n, g->k, 1.0f, a, lda, b, ldb, 0.0f, c,
                        g->n);
            calls++;
        } while ((el = cnn_clock() - t0) < 0.02);
        double gflops = 2.0 * g->m * g->n * g->k * calls / el / 1e9;
        if (gflops > best) best = gflops;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

static void time_products_alone(const cnn_profile *p, double alone[][CNN_GEMM_KINDS])
{
    openblas_set_num_threads(1);
    for (int l = 0; l < CNN_MAX_LAYERS; l++)
        for (int k = 0; k < CNN_GEMM_KINDS; k++)
            alone[l][k] = p->gemm[l][k].calls ? gemm_alone(&p->gemm[l][k]) : 0;
}

/* ---- verification before timing ---- */

static int verify(cnn_net *net, int batch, int threads, const float *x, const uint8_t *y, char *why)
{
    char err[CNN_ERR_LEN];
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == CNN_CONV &&
            reference_check_conv(&net->layers[l], net->params + net->layers[l].w_off,
                                 batch < 2 ? batch : 2, l > 0, why))
            return -1;
    cnn_trainer *one = cnn_trainer_new(net, batch, 1, err);
    cnn_trainer *many = cnn_trainer_new(net, batch, threads, err);
    if (!one || !many) {
        snprintf(why, CNN_ERR_LEN, "%s", err);
        cnn_trainer_free(one);
        cnn_trainer_free(many);
        return -1;
    }
    const float *g1, *gt;
    cnn_gradient(one, x, y, batch, &g1);
    cnn_gradient(many, x, y, batch, &gt);
    int same = memcmp(g1, gt, sizeof(float) * net->n_params) == 0;
    double norm = 0;
    for (size_t i = 0; i < net->n_params; i++) norm += (double)g1[i] * g1[i];
    cnn_trainer_free(one);
    cnn_trainer_free(many);
    if (!same || !(norm > 0) || !isfinite(norm)) {
        snprintf(why, CNN_ERR_LEN, "the %d-thread gradient %s", threads,
                 !same ? "differs from the 1-thread gradient" : "is zero or not finite");
        return -1;
    }
    return 0;
}

/* ---- timing ---- */

/* Images/sec over `windows` windows of at least `seconds`, after a warm-up. */
static void time_windows(cnn_trainer *t, int training, const float *x, const uint8_t *y, int batch,
                         const options *o, double out[3])
{
    cnn_sgd sgd = { .lr = 0.001f, .momentum = 0.9f }; /* small, so the weights stay sane */
    float *probs = malloc(sizeof(float) * batch * cnn_trainer_net(t)->classes);
    double rates[MAX_WINDOWS];
    ENSURE(o->windows >= 1 && o->windows <= MAX_WINDOWS); /* options checked it */
    for (int w = -1; w < o->windows; w++) {               /* window -1 is the warm-up */
        long steps = 0;
        double t0 = cnn_clock(), el;
        do {
            if (training) cnn_train_step(t, x, y, batch, &sgd, NULL);
            else cnn_infer(t, x, NULL, batch, probs, NULL);
            steps++;
        } while ((el = cnn_clock() - t0) < (w < 0 ? o->seconds / 2 : o->seconds));
        if (w >= 0) rates[w] = steps * batch / el;
    }
    qsort(rates, o->windows, sizeof(double), cmp_double);
    out[0] = rates[o->windows / 2];
    out[1] = rates[0];
    out[2] = rates[o->windows - 1];
    free(probs);
}

/* Training multiply-adds per image: forward, kernel gradient, and input
 * gradient for every weighted layer but the first. */
static void count_macs(const cnn_net *net, double *train, double *infer)
{
    *train = *infer = 0;
    for (int l = 0; l < net->n_layers; l++) {
        double m = cnn_layer_macs(&net->layers[l]);
        *infer += m;
        *train += m * (l > 0 ? 3 : 2);
    }
}

/* Peak resident memory since the last reset_peak_rss (VmHWM), in KiB. */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* One configuration, in the child process. */
static void measure(const options *o, const char *name, int batch, int threads, result *r)
{
    char err[CNN_ERR_LEN];
    cnn_dataset all = { 0 }, *data = NULL;
    memset(r, 0, sizeof *r);
    cnn_net *net = cnn_net_load(name, err);
    if (!net) {
        snprintf(r->why, sizeof r->why, "%s", err);
        return;
    }
    if (o->data) {
        char img[4096], lab[4096];
        snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", o->data);
        snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte.gz", o->data);
        if (cnn_dataset_load(&all, img, lab, err)) {
            snprintf(r->why, sizeof r->why, "%s", err);
            cnn_net_free(net);
            return;
        }
        data = &all;
    }
    cnn_rng rng = cnn_rng_seed(1);
    cnn_net_init(net, &rng);
    size_t isz = cnn_shape_size(net->input);
    float *x = malloc(sizeof(float) * batch * isz);
    uint8_t *y = malloc(batch);
    for (int i = 0; i < batch; i++) {
        if (data && data->image_size == isz) {
            cnn_dataset_images(data, i % data->count, 1, x + i * isz);
            y[i] = data->labels[i % data->count] % net->classes;
        } else {
            for (size_t k = 0; k < isz; k++) x[i * isz + k] = cnn_rng_uniform(&rng);
            y[i] = (uint8_t)(cnn_rng_next(&rng) % net->classes);
        }
    }
    cnn_dataset_free(&all); /* the batch is copied; the data set is not counted */
    if (verify(net, batch, threads, x, y, r->why) == 0) {
        reset_peak_rss();
        cnn_trainer *t = cnn_trainer_new(net, batch, threads, err);
        if (!t) {
            snprintf(r->why, sizeof r->why, "%s", err);
        } else {
            time_windows(t, 1, x, y, batch, o, r->train);
            time_windows(t, 0, x, y, batch, o, r->infer);
            if (o->layers) {
                cnn_trainer_profile(t, 1);
                cnn_sgd sgd = { .lr = 0.001f, .momentum = 0.9f };
                double t0 = cnn_clock();
                while (cnn_clock() - t0 < o->seconds) cnn_train_step(t, x, y, batch, &sgd, NULL);
                cnn_trainer_profile_read(t, &r->prof);
                time_products_alone(&r->prof, r->alone);
            }
            r->rss_kib = peak_rss_kib();
            cnn_trainer_free(t);
            count_macs(net, &r->macs_train, &r->macs_infer);
            r->peak_gflops = sgemm_peak(threads);
            r->ok = 1;
        }
    }
    free(x);
    free(y);
    cnn_net_free(net);
}

/* ---- one child per configuration ---- */

static int run_child(const options *o, const char *name, int batch, int threads, result *r)
{
    int fd[2];
    pid_t spinner = -1;
    if (pipe(fd)) return -1;
    if (o->contend && (spinner = fork()) == 0)
        for (volatile unsigned long i = 0;; i++) {} /* keep one core busy */
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        measure(o, name, batch, threads, r);
        ssize_t k = write(fd[1], r, sizeof *r);
        _exit(k == (ssize_t)sizeof *r ? 0 : 1);
    }
    close(fd[1]);
    size_t got = 0;
    while (pid > 0 && got < sizeof *r) {
        ssize_t k = read(fd[0], (char *)r + got, sizeof *r - got);
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd[0]);
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    if (spinner > 0) {
        kill(spinner, SIGKILL);
        waitpid(spinner, NULL, 0);
    }
    if (got != sizeof *r) {
        snprintf(r->why, sizeof r->why, "the measuring process failed (status %d)", status);
        r->ok = 0;
    }
    return 0;
}

/* ---- output ---- */

/* --layers: time by layer and phase, then every sgemm of the step against
 * the same shape called alone, and the step against the sum of those: the
 * "sgemm bound", what the design allows on this machine. Times are per
 * batch and summed over threads. */
static void print_layers(const result *r, int batch, int threads)
{
    static const char *kinds[CNN_GEMM_KINDS] = { "forward", "kernel grad", "input grad" };
    const cnn_profile *p = &r->prof;
    double steps = p->steps ? (double)p->steps : 1, total = 0, bound = 0;
    for (int k = 0; k < CNN_PHASES; k++) total += p->phase[k];
    printf("    per batch (thread-ms):");
    for (int l = 0; l < CNN_MAX_LAYERS && (p->forward[l] > 0 || p->backward[l] > 0); l++)
        printf(" L%d %.3f/%.3f", l + 1, 1e3 * p->forward[l] / steps, 1e3 * p->backward[l] / steps);
    printf("  (forward/backward)\n    phases:");
    for (int k = 0; k < CNN_PHASES; k++)
        printf(" %s %.1f%%", cnn_phase_names[k], total > 0 ? 100 * p->phase[k] / total : 0);
    printf("\n    %-5s %-11s %-18s %6s %9s %8s %8s\n", "layer", "sgemm", "M x N x K (op)", "calls",
           "thread-ms", "GFLOP/s", "alone");
    for (int l = 0; l < CNN_MAX_LAYERS; l++)
        for (int k = 0; k < CNN_GEMM_KINDS; k++) {
            const cnn_gemm_stat *g = &p->gemm[l][k];
            if (!g->calls) continue;
            char shape[48];
            snprintf(shape, sizeof shape, "%dx%dx%d (%c%c)", g->m, g->n, g->k,
                     g->trans_a ? 'T' : 'N', g->trans_b ? 'T' : 'N');
            double alone_s = r->alone[l][k] > 0 ? g->flops / (r->alone[l][k] * 1e9) : 0;
            bound += alone_s;
            printf("    L%-4d %-11s %-18s %6.1f %9.3f %8.1f %8.1f\n", l + 1, kinds[k], shape,
                   g->calls / steps, 1e3 * g->seconds / steps, g->flops / g->seconds / 1e9,
                   r->alone[l][k]);
        }
    /* the step as the timed windows ran it: wall time per batch x threads */
    double step = threads * batch / r->train[0];
    printf("    step %.3f thread-ms, sgemm bound %.3f thread-ms: %.2fx the bound\n", 1e3 * step,
           1e3 * bound / steps, bound > 0 ? step / (bound / steps) : 0);
}

static void print_header(const options *o)
{
    if (o->json) return;
    machine_print_header();
    printf("%-9s %5s %3s  %-28s  %-28s %8s %8s %6s %8s\n", "net", "batch", "thr",
           "train img/s median (min-max)", "infer img/s median (min-max)", "MFLOP/im", "GFLOP/s",
           "peak%", "RSS MiB");
}

static void print_result(const options *o, const char *name, int batch, int threads,
                         const result *r, int *first_json)
{
    double flop = 2 * r->macs_train, gflops = r->train[0] * flop / 1e9;
    double frac = r->peak_gflops > 0 ? gflops / r->peak_gflops : 0;
    if (o->json) {
        char cpu[192], env[48] = "null";
        cnn_blas_info b = cnn_blas_get_info();
        machine_cpu(cpu, sizeof cpu);
        if (b.coretype_env) snprintf(env, sizeof env, "\"%.40s\"", b.coretype_env);
        printf("%s\n  {\"net\": \"%s\", \"batch\": %d, \"threads\": %d, \"cpu\": \"%s\", "
               "\"blas\": {\"version\": \"%s\", \"kernel\": \"%s\", \"threading\": \"%s\", "
               "\"coretype_env\": %s}, \"ok\": %s",
               *first_json ? "" : ",", name, batch, threads, cpu, b.version, b.kernel, b.threading,
               env, r->ok ? "true" : "false");
        *first_json = 0;
        if (!r->ok) {
            printf(", \"error\": \"%s\"}", r->why);
            return;
        }
        printf(", \"train_img_s\": %.1f, \"train_img_s_min\": %.1f, \"train_img_s_max\": %.1f"
               ", \"infer_img_s\": %.1f, \"infer_img_s_min\": %.1f, \"infer_img_s_max\": %.1f"
               ", \"train_mflop_per_image\": %.4f, \"gflops\": %.2f, \"sgemm_peak_gflops\": %.2f"
               ", \"peak_fraction\": %.4f, \"peak_rss_mib\": %.1f, \"contended\": %s}",
               r->train[0], r->train[1], r->train[2], r->infer[0], r->infer[1], r->infer[2],
               flop / 1e6, gflops, r->peak_gflops, frac, r->rss_kib / 1024.0,
               o->contend ? "true" : "false");
        return;
    }
    if (!r->ok) {
        printf("%-9s %5d %3d  REFUSED: %s\n", name, batch, threads, r->why);
        return;
    }
    char tr[64], in[64];
    snprintf(tr, sizeof tr, "%.0f (%.0f-%.0f)", r->train[0], r->train[1], r->train[2]);
    snprintf(in, sizeof in, "%.0f (%.0f-%.0f)", r->infer[0], r->infer[1], r->infer[2]);
    printf("%-9s %5d %3d  %-28s  %-28s %8.3f %8.2f %5.1f%% %8.1f\n", name, batch, threads, tr, in,
           flop / 1e6, gflops, 100 * frac, r->rss_kib / 1024.0);
    if (o->layers) print_layers(r, batch, threads);
}

/* ---- options ---- */

static const char *USAGE =
    "usage: throughput [--net NAME|FILE]... [--batch 1,16,64,256] [--threads 1,N]\n"
    "                  [--data DIR] [--seconds 0.5] [--windows 5] [--layers] [--json]\n"
    "                  [--contend]\n"
    "\n"
    "Training (forward, loss, backward, update) and inference images/sec per\n"
    "network, batch size and thread count: the median of --windows timed windows\n"
    "of --seconds each after a warm-up, with the min-max. Each configuration is\n"
    "first checked against the direct-loop reference convolution and the 1-thread\n"
    "gradient; one that fails is REFUSED, not timed. --data DIR uses real test\n"
    "images (synthetic otherwise); --layers adds per-layer and per-phase time;\n"
    "--contend keeps one core busy with another process while measuring.\n";

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        { "net", required_argument, 0, 'n' },
        { "batch", required_argument, 0, 'b' },
        { "threads", required_argument, 0, 't' },
        { "data", required_argument, 0, 'd' },
        { "seconds", required_argument, 0, 's' },
        { "windows", required_argument, 0, 'w' },
        { "layers", no_argument, 0, 'l' },
        { "json", no_argument, 0, 'j' },
        { "contend", no_argument, 0, 'c' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), c;
    *o = (options){ .batches = { 1, 16, 64, 256 },
                    .n_batches = 4,
                    .threads = { 1, cores },
                    .n_threads = cores > 1 ? 2 : 1,
                    .seconds = 0.5,
                    .windows = 5 };
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
            if (parse_list(optarg, o->threads, MAX_LIST, &o->n_threads)) return -1;
            break;
        case 'd': o->data = optarg; break;
        case 's':
            o->seconds = strtod(optarg, &end);
            if (*end || !(o->seconds > 0.01 && o->seconds < 600)) return -1;
            break;
        case 'w':
            o->windows = (int)strtol(optarg, &end, 10);
            if (*end || o->windows < 1 || o->windows > MAX_WINDOWS) return -1;
            break;
        case 'l': o->layers = 1; break;
        case 'j': o->json = 1; break;
        case 'c': o->contend = 1; break;
        case 'h': printf("%s", USAGE); exit(0);
        default: return -1;
        }
    }
    if (optind < argc) return -1;
    if (!o->n_nets) {
        for (const cnn_builtin_net *b = cnn_builtin_nets; b->name; b++)
            o->nets[o->n_nets++] = b->name;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    cnn_runtime_setup(argv);
    if (parse_options(argc, argv, &o)) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    int refused = 0, first_json = 1;
    if (o.json) printf("[");
    print_header(&o);
    for (int n = 0; n < o.n_nets; n++)
        for (int b = 0; b < o.n_batches; b++)
            for (int t = 0; t < o.n_threads; t++) {
                result r;
                run_child(&o, o.nets[n], o.batches[b], o.threads[t], &r);
                refused += !r.ok;
                print_result(&o, o.nets[n], o.batches[b], o.threads[t], &r, &first_json);
                fflush(stdout);
            }
    if (o.json) printf("\n]\n");
    return refused ? 1 : 0;
}
