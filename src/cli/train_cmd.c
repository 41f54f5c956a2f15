/* train_cmd.c: cnn train. Trains, tests after every epoch, writes the model
 * atomically after every epoch, and can resume from any model it wrote. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "outputs.h"

static const char *USAGE = "cnn train --net NAME|FILE --data DIR [options]\n"
                           "       cnn train --resume MODEL --data DIR [--epochs N] [options]";

static const char *HELP =
    "Train a network on IDX images (MNIST, Fashion-MNIST), test it after every\n"
    "epoch and write the model after every epoch (atomically: a crash leaves the\n"
    "previous model or the new one, never a partial file).\n"
    "\n"
    "  --net NAME|FILE      seed000 (default), seed002, seed003, seed004, lenet, vgg,\n"
    "                       cifar (32x32 colour), or a file\n"
    "  --data DIR           folder with train-images-idx3-ubyte[.gz], train-labels-...,\n"
    "                       t10k-images-idx3-ubyte[.gz] and t10k-labels-...; or\n"
    "                       class folders DIR/train/<class>/... and DIR/test/<class>/...\n"
    "                       of PNG, JPEG, PGM or PPM images; or CIFAR-10's\n"
    "                       data_batch_N.bin and test_batch.bin\n"
    "  --train-images F, --train-labels F, --test-images F, --test-labels F\n"
    "                       the four files one by one instead of --data\n"
    "  --epochs N           epochs\n"
    "  --batch B            mini-batch size\n"
    "  --lr X               learning rate\n"
    "  --optimizer O        sgd, nesterov, adam or adamw (PyTorch's update rules)\n"
    "  --momentum M         SGD momentum (0 = plain SGD)\n"
    "  --beta1 B, --beta2 B, --eps E\n"
    "                       adam and adamw: moment decay rates and the added epsilon\n"
    "  --weight-decay W     L2 weight decay (adamw: decoupled)\n"
    "  --schedule S         cosine (decays the rate to 0 over the epochs), constant,\n"
    "                       or step (times --gamma G every --step-every N epochs)\n"
    "  --warmup N           first N epochs: the rate rises linearly to --lr\n"
    "  --shift N            augment: move each training image by a random offset of\n"
    "                       up to N pixels in x and y (0 = off)\n"
    "  --crop N             the same, by its CIFAR name: zero-pad by N, then a random\n"
    "                       crop back to the input's size\n"
    "  --flip               augment: mirror half the training images left to right\n"
    "  --resize             scale images of another size than the network's input:\n"
    "                       the shorter side to the input's, centre-cropped, by area\n"
    "                       averaging (eval and predict then do the same)\n"
    "                       Unset, these come from the network's `train` line (see\n"
    "                       cnn info), else from cnn_recipe_default:\n"
    "                       %s\n"
    "  --classes A,B,...    train on these labels only, one per output of the network\n"
    "                       (seed002: 0,1); the model records them for eval and predict\n"
    "  --class-names FILE   IDX data: name the classes, line k of FILE naming label k\n"
    "                       (image folders and CIFAR-10 name theirs)\n"
    "  --limit N            use only the first N training images\n"
    "  --threads T          threads (default: all cores, or OMP_NUM_THREADS); the\n"
    "                       result is bit-identical with any number\n"
    "  --seed S             random seed for initialisation and shuffling (default 1)\n"
    "  --out MODEL          model file (default NAME.model)\n"
    "  --resume MODEL       continue a run from its model file (recipe, position,\n"
    "                       --classes and --limit come from the file; --epochs may\n"
    "                       extend it)\n"
    "  --val N              hold out N training images (stratified by class, chosen\n"
    "                       by the seed) and report validation loss and accuracy\n"
    "  --keep-best          also write the model of the best validation accuracy so\n"
    "                       far to MODEL.best (needs --val)\n"
    "  --patience P         stop after P epochs without a better validation accuracy\n"
    "                       (needs --val)\n"
    "  --no-divergence-check  train on when an epoch's training loss exceeds 100\n"
    "                       times a uniform guess's (by default that stops the run,\n"
    "                       exit 1, keeping the epoch before it)\n"
    "  --log FILE           CSV metrics, one row per epoch (tools/plot-log.sh draws it)\n"
    "  --quiet              print nothing but errors\n"
    "  --progress-every S   where stderr is not a terminal, a progress line every S\n"
    "                       seconds (default 10; 0: none)\n"
    "\n"
    "Progress: a live line on a terminal, one line per epoch otherwise.\n"
    "Exit status: 0 done, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C: the model\n"
    "of the last finished epoch is on disk; --resume continues it).\n";

typedef struct {
    const char *net, *data, *out, *resume, *log, *classes, *class_names;
    const char *files[4]; /* train images, train labels, test images, test labels */
    int threads, limit, quiet;
    int val, keep_best, patience; /* --val N, --keep-best, --patience P */
    int no_divergence_check;      /* --no-divergence-check */
    float progress_every;         /* --progress-every S */
    unsigned long long seed;
    cnn_recipe r;   /* fields < 0 are unset: they come from the network */
    int set_recipe; /* a recipe option was given (refused with --resume) */
} train_opts;

/* Ctrl-C or SIGTERM: the first ends the epoch's step and the run, keeping
 * the last finished epoch's model; a second ends the process at once,
 * whatever it is doing (saves are atomic: the model on disk stays whole, and
 * the next run removes a half-written temporary file). */
static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
    static const char msg[] = "\ncnn train: stopped at once by a second signal; the model "
                              "on disk is the last one saved\n";
    if (!interrupted) {
        interrupted = 1;
        return;
    }
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1); /* nothing to do if it fails */
    _exit(128 + sig);
}

/* ---- progress ---- */

/* On a terminal, one live line; elsewhere (a pipe, a file, a scheduler's
 * log) a plain line every `every` seconds. The time left counts each
 * remaining epoch's evaluation: as the last epoch's took, or before one has
 * been timed, its images at INFER_SPEEDUP times the training rate. */
#define INFER_SPEEDUP 3.0
typedef struct {
    int live, epoch, epochs;
    double every;      /* seconds between plain lines; 0: none */
    float lr;          /* the rate in force */
    double start;      /* of the epoch, for time left */
    double last;       /* when the last plain line was printed */
    double evaluation; /* seconds of the last epoch's test and validation passes; < 0: none yet */
    long total_images, eval_images;
} progress_ctx;

static void format_duration(char *buf, size_t len, double s)
{
    if (s >= 3600) snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s >= 60) snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, len, "%.0fs", s);
}

/* What the run's hooks print and write. */
typedef struct {
    progress_ctx progress;
    int quiet;
    FILE *log;
    const char *log_path, *out;
} report_ctx;

static void on_epoch_start(void *p, int epoch, float lr)
{
    progress_ctx *c = &((report_ctx *)p)->progress;
    c->epoch = epoch;
    c->lr = lr;
    c->start = c->last = cnn_clock();
}

static int on_step(void *p, int step, int steps, const cnn_epoch_stats *so_far)
{
    progress_ctx *c = &((report_ctx *)p)->progress;
    double now = cnn_clock();
    int plain = !c->live && c->every > 0 && now - c->last >= c->every;
    if (!plain && !(c->live && (step % 8 == 0 || step == steps))) return 0;
    double rate = so_far->images / (now - c->start);
    double left_images = (double)c->total_images * (c->epochs - c->epoch) - so_far->images;
    double evaluation = c->evaluation >= 0 ? c->evaluation
                                           : c->eval_images / (INFER_SPEEDUP * rate);
    char left[32];
    format_duration(left, sizeof left, left_images / rate + evaluation * (c->epochs - c->epoch));
    fprintf(stderr,
            "%sepoch %d/%d  step %d/%d  lr %.4g  loss %.4f  acc %.4f  %.0f img/s  %s left%s",
            plain ? "" : "\r\033[K", c->epoch + 1, c->epochs, step, steps, c->lr, so_far->loss,
            so_far->accuracy, rate, left, plain ? "\n" : "");
    fflush(stderr);
    c->last = now;
    return 0;
}

/* The epoch's line and log row; lost output stops the run, since nobody
 * would see how it went. */
static int on_epoch(void *p, const cnn_epoch_report *r, char *err)
{
    report_ctx *c = p;
    c->progress.evaluation = cnn_clock() - c->progress.start - r->seconds;
    if (c->progress.live) fprintf(stderr, "\r\033[K");
    if (!c->quiet) {
        printf("epoch %d/%d  lr %.4g  train loss %.4f  acc %.4f  test loss %.4f acc %.4f", r->epoch,
               r->epochs, r->lr, r->train.loss, r->train.accuracy, r->test.loss, r->test.accuracy);
        if (r->val.images)
            printf("  val loss %.4f acc %.4f%s", r->val.loss, r->val.accuracy,
                   r->better ? " *" : "");
        printf("  %.1fs + %.1fs eval  %.0f img/s\n", r->seconds, c->progress.evaluation,
               r->train.images / r->seconds);
    }
    if (c->log) {
        fprintf(c->log, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%.6g,", r->epoch, r->train.loss,
                r->train.accuracy, r->test.loss, r->test.accuracy, r->seconds,
                r->train.images / r->seconds, r->lr);
        /* every row has the header's ten fields; without --val the last two are empty */
        if (r->val.images) fprintf(c->log, "%.6f,%.6f\n", r->val.loss, r->val.accuracy);
        else fprintf(c->log, ",\n");
    }
    if (check_written(stdout, "standard output", err) ||
        (c->log && check_written(c->log, c->log_path, err))) {
        char lost[CNN_ERR_LEN];
        snprintf(lost, sizeof lost, "%s", err);
        snprintf(err, CNN_ERR_LEN, "epoch %d: %.400s; %s holds epoch %d", r->epoch, lost, c->out,
                 r->epoch);
        return -1;
    }
    return 0;
}

/* ---- options ---- */

/* --epochs, --batch, --lr, ...: within the range of the recipe table. */
static int recipe_option(cnn_recipe_field f, const char *value, cnn_recipe *r)
{
    const cnn_recipe_limit *L = &cnn_recipe_limits[f];
    if (L->whole) {
        int v = 0;
        if (opt_int("train", L->name, value, (long)L->lo, (long)L->hi, &v)) return -1;
        cnn_recipe_set(r, f, v);
    } else {
        float v = 0;
        if (opt_float("train", L->name, value, L->lo, L->hi, &v)) return -1;
        cnn_recipe_set(r, f, v);
    }
    return 0;
}

static int parse_options(int argc, char **argv, train_opts *o)
{
    enum {
        O_TRAIN_IMAGES = 256,
        O_TRAIN_LABELS,
        O_TEST_IMAGES,
        O_TEST_LABELS,
        O_WD,
        O_SCHEDULE,
        O_SHIFT,
        O_CLASSES,
        O_CLASS_NAMES,
        O_LIMIT,
        O_RESUME,
        O_LOG,
        O_QUIET,
        O_HELP,
        O_OPTIMIZER,
        O_BETA1,
        O_BETA2,
        O_EPS,
        O_WARMUP,
        O_STEP_EVERY,
        O_GAMMA,
        O_VAL,
        O_KEEP_BEST,
        O_PATIENCE,
        O_PROGRESS_EVERY,
        O_CROP,
        O_FLIP,
        O_RESIZE,
        O_NO_DIVERGENCE_CHECK
    };
    static const struct option longs[] = {
        { "net", required_argument, 0, 'n' },
        { "data", required_argument, 0, 'd' },
        { "epochs", required_argument, 0, 'e' },
        { "batch", required_argument, 0, 'b' },
        { "lr", required_argument, 0, 'l' },
        { "momentum", required_argument, 0, 'm' },
        { "weight-decay", required_argument, 0, O_WD },
        { "schedule", required_argument, 0, O_SCHEDULE },
        { "shift", required_argument, 0, O_SHIFT },
        { "crop", required_argument, 0, O_CROP },
        { "flip", no_argument, 0, O_FLIP },
        { "resize", no_argument, 0, O_RESIZE },
        { "no-divergence-check", no_argument, 0, O_NO_DIVERGENCE_CHECK },
        { "optimizer", required_argument, 0, O_OPTIMIZER },
        { "beta1", required_argument, 0, O_BETA1 },
        { "beta2", required_argument, 0, O_BETA2 },
        { "eps", required_argument, 0, O_EPS },
        { "warmup", required_argument, 0, O_WARMUP },
        { "step-every", required_argument, 0, O_STEP_EVERY },
        { "gamma", required_argument, 0, O_GAMMA },
        { "val", required_argument, 0, O_VAL },
        { "keep-best", no_argument, 0, O_KEEP_BEST },
        { "patience", required_argument, 0, O_PATIENCE },
        { "progress-every", required_argument, 0, O_PROGRESS_EVERY },
        { "threads", required_argument, 0, 't' },
        { "seed", required_argument, 0, 's' },
        { "out", required_argument, 0, 'o' },
        { "resume", required_argument, 0, O_RESUME },
        { "log", required_argument, 0, O_LOG },
        { "classes", required_argument, 0, O_CLASSES },
        { "class-names", required_argument, 0, O_CLASS_NAMES },
        { "limit", required_argument, 0, O_LIMIT },
        { "quiet", no_argument, 0, O_QUIET },
        { "train-images", required_argument, 0, O_TRAIN_IMAGES },
        { "train-labels", required_argument, 0, O_TRAIN_LABELS },
        { "test-images", required_argument, 0, O_TEST_IMAGES },
        { "test-labels", required_argument, 0, O_TEST_LABELS },
        { "help", no_argument, 0, O_HELP },
        { 0, 0, 0, 0 },
    };
    *o = (train_opts){ .seed = 1,
                       .progress_every = 10,
                       .r = {
                           -1, -1, { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 }, -1, -1, -1, -1 } };
    const char *shift_option = NULL; /* --shift or --crop: one setting, given once */
    char err[CNN_ERR_LEN];
    int c, bad = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': o->net = optarg; break;
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case O_RESUME: o->resume = optarg; break;
        case O_LOG: o->log = optarg; break;
        case O_CLASSES: { /* the list's syntax here; against the network in choose_data */
            int keep[256], n_keep;
            o->classes = optarg;
            if (parse_classes(optarg, keep, &n_keep, err)) bad |= cli_error(-1, "train", "%s", err);
            break;
        }
        case O_CLASS_NAMES: o->class_names = optarg; break;
        case O_QUIET: o->quiet = 1; break;
        case O_TRAIN_IMAGES:
        case O_TRAIN_LABELS:
        case O_TEST_IMAGES:
        case O_TEST_LABELS: o->files[c - O_TRAIN_IMAGES] = optarg; break;
        case 'e': bad |= recipe_option(CNN_RECIPE_EPOCHS, optarg, &o->r); break;
        case 'b':
            bad |= recipe_option(CNN_RECIPE_BATCH, optarg, &o->r);
            o->set_recipe = 1;
            break;
        case 't': bad |= opt_int("train", "threads", optarg, 1, 1024, &o->threads); break;
        case O_VAL:
            bad |= opt_int("train", "val", optarg, 1, 2000000000, &o->val);
            o->set_recipe = 1;
            break;
        case O_KEEP_BEST:
            o->keep_best = 1;
            o->set_recipe = 1;
            break;
        case O_PATIENCE:
            bad |= opt_int("train", "patience", optarg, 1, 100000, &o->patience);
            o->set_recipe = 1;
            break;
        case O_PROGRESS_EVERY:
            bad |= opt_float("train", "progress-every", optarg, 0, 86400, &o->progress_every);
            break;
        case O_LIMIT: bad |= opt_int("train", "limit", optarg, 1, 2000000000, &o->limit); break;
        case 'l':
            bad |= recipe_option(CNN_RECIPE_LR, optarg, &o->r);
            o->set_recipe = 1;
            break;
        case 'm':
            bad |= recipe_option(CNN_RECIPE_MOMENTUM, optarg, &o->r);
            o->set_recipe = 1;
            break;
        case O_WD:
            bad |= recipe_option(CNN_RECIPE_WEIGHT_DECAY, optarg, &o->r);
            o->set_recipe = 1;
            break;
        case O_SHIFT:
        case O_CROP:
            if (shift_option)
                bad |= cli_error(-1, "train",
                                 "--crop and --shift are one setting; give it "
                                 "once");
            shift_option = optarg;
            bad |= recipe_option(CNN_RECIPE_SHIFT, optarg, &o->r);
            o->set_recipe = 1;
            break;
        case O_FLIP:
            o->r.flip = 1;
            o->set_recipe = 1;
            break;
        case O_RESIZE:
            o->r.resize = 1;
            o->set_recipe = 1;
            break;
        case O_NO_DIVERGENCE_CHECK: o->no_divergence_check = 1; break;
        case O_BETA1:
        case O_BETA2:
        case O_EPS:
        case O_WARMUP:
        case O_STEP_EVERY:
        case O_GAMMA:
            /* in the order of the recipe table */
            bad |= recipe_option((cnn_recipe_field)(CNN_RECIPE_BETA1 + (c - O_BETA1)), optarg,
                                 &o->r);
            o->set_recipe = 1;
            break;
        case O_OPTIMIZER: {
            int k = cnn_optimizer_parse(optarg);
            if (k < 0)
                bad |= cli_error(-1, "train", "--optimizer %s: sgd, nesterov, adam or adamw",
                                 optarg);
            o->r.sgd.kind = (cnn_optimizer)k;
            o->set_recipe = 1;
            break;
        }
        case 's': bad |= opt_seed("train", "seed", optarg, &o->seed); break;
        case O_SCHEDULE:
            o->r.schedule = (cnn_schedule)cnn_schedule_parse(optarg);
            if ((int)o->r.schedule < 0)
                bad |= cli_error(-1, "train", "--schedule %s: constant, cosine or step", optarg);
            o->set_recipe = 1;
            break;
        case 'h':
        case O_HELP: {
            const cnn_recipe *d = &cnn_recipe_default;
            char defaults[256];
            snprintf(defaults, sizeof defaults,
                     "%d epochs, batch %d, %s, lr %g, momentum %g,\n"
                     "                       weight decay %g, beta1 %g, beta2 %g, eps %g,\n"
                     "                       %s, warm-up %d, step-every %d, gamma %g, shift %d, "
                     "flip %d.",
                     d->epochs, d->batch, cnn_optimizer_name(d->sgd.kind), d->sgd.lr,
                     d->sgd.momentum, d->sgd.weight_decay, d->sgd.beta1, d->sgd.beta2, d->sgd.eps,
                     cnn_schedule_name(d->schedule), d->sgd.warmup, d->sgd.step_every, d->sgd.gamma,
                     d->shift, d->flip);
            printf("usage: %s\n\n", USAGE);
            printf(HELP, defaults);
        }
            return 1;
        default: option_error("train", argv[optind - 1]); return -1;
        }
    }
    if (bad) return -1;
    if (optind < argc) return cli_error(-1, "train", "unexpected argument '%s'", argv[optind]);
    int explicit_files = 0;
    for (int i = 0; i < 4; i++) explicit_files += o->files[i] != NULL;
    if (!o->data && explicit_files != 4)
        return cli_error(-1, "train",
                         "give --data DIR, or all four of --train-images, "
                         "--train-labels, --test-images, --test-labels");
    const char *named[] = { o->out,      o->log,      o->resume,   o->net,     o->data,
                            o->files[0], o->files[1], o->files[2], o->files[3] };
    static const char *const names[] = { "--out",          "--log",         "--resume",
                                         "--net",          "--data",        "--train-images",
                                         "--train-labels", "--test-images", "--test-labels" };
    for (int i = 0; i < 9; i++)
        if (named[i] && !*named[i]) return cli_error(-1, "train", "%s: an empty name", names[i]);
    if (o->resume && o->set_recipe)
        return cli_error(-1, "train",
                         "--resume continues the recipe stored in the model: "
                         "drop --lr, --momentum, --weight-decay, --batch, --schedule, --shift, "
                         "--optimizer, --beta1, --beta2, --eps, --warmup, --step-every, "
                         "--gamma, --val, --keep-best and --patience");
    if ((o->keep_best || o->patience) && !o->val)
        return cli_error(-1, "train", "%s needs --val N: it watches the validation accuracy",
                         o->keep_best ? "--keep-best" : "--patience");
    if (!o->net && !o->resume) o->net = "seed000";
    return 0;
}

/* ---- data ---- */

/* Which training images the run uses: those of --classes, the first --limit
 * of them. A resumed run uses what it recorded (given again, they must
 * agree); a new one (or one from a format-1 model, which recorded nothing)
 * names the network's classes after --classes and records both in st.
 * keep (n_keep labels, 0: every label) selects and relabels the data. */
static int choose_data(train_opts *o, cnn_net *net, cnn_train_state *st, int *keep, int *n_keep,
                       char *err)
{
    *n_keep = 0;
    if (!o->resume || st->limit < 0) {
        if (o->classes && classes_for_training(net, o->resume ? o->resume : o->net, o->classes,
                                               keep, n_keep, err))
            return -1;
        if (o->class_names && name_idx_classes(net, o->class_names, keep, *n_keep, err)) return -1;
        st->limit = o->limit;
        st->select_classes = *n_keep > 0;
        return 0;
    }
    if (o->limit && o->limit != st->limit) {
        char used[64] = "all the training images";
        if (st->limit) snprintf(used, sizeof used, "the first %d training images", st->limit);
        snprintf(err, CNN_ERR_LEN,
                 "--limit %d contradicts %s, whose run used %s (drop "
                 "--limit to continue it)",
                 o->limit, o->resume, used);
        return -1;
    }
    o->limit = st->limit;
    if (o->class_names) {
        char list[128];
        format_classes(list, sizeof list, net);
        snprintf(err, CNN_ERR_LEN,
                 "--class-names: a resumed run keeps the classes %s "
                 "recorded (%s); drop --class-names",
                 o->resume, list);
        return -1;
    }
    if (st->select_classes) return model_classes(net, o->resume, o->classes, keep, n_keep, err);
    if (o->classes) {
        snprintf(err, CNN_ERR_LEN,
                 "--classes %s contradicts %s, whose run used every label "
                 "(drop --classes to continue it)",
                 o->classes, o->resume);
        return -1;
    }
    return 0;
}

/* The four data files: those named, the rest from --data; for image folders
 * and CIFAR-10 the folder (twice). */
typedef struct {
    char path[4][4096];
    data_layout layout;
} data_paths;

static int find_data(const train_opts *o, data_paths *p, char *err)
{
    p->layout = data_layout_of(o->data);
    if (p->layout != LAYOUT_IDX) {
        for (int i = 0; i < 4; i++)
            if (o->files[i]) {
                snprintf(err, CNN_ERR_LEN,
                         "--train-images, --train-labels, --test-images and "
                         "--test-labels name IDX files; %s holds %s",
                         o->data, p->layout == LAYOUT_FOLDERS ? "image folders" : "CIFAR-10 files");
                return -1;
            }
        for (int i = 0; i < 4; i++)
            snprintf(p->path[i], sizeof p->path[i], "%s%s", o->data,
                     p->layout == LAYOUT_CIFAR ? ""
                     : i < 2                   ? "/train"
                                               : "/test");
        return 0;
    }
    for (int part = 0; part < 2; part++) {
        if (!o->files[2 * part] || !o->files[2 * part + 1])
            if (data_files(o->data, part ? "t10k" : "train", p->path[2 * part],
                           p->path[2 * part + 1], sizeof p->path[0], err))
                return -1;
        for (int i = 2 * part; i < 2 * part + 2; i++)
            if (o->files[i]) snprintf(p->path[i], sizeof p->path[i], "%s", o->files[i]);
    }
    return 0;
}

/* Image folders and CIFAR-10 name their classes: a new run names the
 * network's after them, a resumed one must have the same; the test set's
 * must be the training set's. Then both are labelled by the network's. */
static int name_classes(const train_opts *o, cnn_net *net, cnn_dataset *train, cnn_dataset *test,
                        char *err)
{
    /* both lists are sorted: at the first difference, the smaller name is
     * the one the other set lacks */
    for (int k = 0; k < test->n_classes || k < train->n_classes; k++) {
        const char *in_train = k < train->n_classes ? train->class_names[k] : NULL;
        const char *in_test = k < test->n_classes ? test->class_names[k] : NULL;
        if (in_train && in_test && !strcmp(in_train, in_test)) continue;
        int train_only = !in_test || (in_train && strcmp(in_train, in_test) < 0);
        snprintf(err, CNN_ERR_LEN,
                 "%.200s and %.200s must have the same class folders: '%s' "
                 "is only in %s",
                 train->labels_path, test->labels_path, train_only ? in_train : in_test,
                 train_only ? "the first" : "the second");
        return -1;
    }
    if (train->n_classes != net->classes) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: %d classes, but the network has %d outputs (its last "
                 "layer's units)",
                 train->labels_path, train->n_classes, net->classes);
        return -1;
    }
    if (!o->resume && cnn_net_set_class_names(net, (const char *const *)train->class_names,
                                              train->n_classes, train->labels_path, err))
        return -1;
    return labels_by_name(train, net, err) || labels_by_name(test, net, err) ? -1 : 0;
}

static int load_data(const train_opts *o, const data_paths *p, cnn_net *net,
                     const cnn_image_spec *spec, const int *keep, int n_keep, cnn_dataset *train,
                     cnn_dataset *test, char *err)
{
    if (p->layout != LAYOUT_IDX) {
        FILE *notes = o->quiet ? NULL : stderr;
        if (o->classes || o->class_names) {
            snprintf(err, CNN_ERR_LEN, "%s IDX labels; %s names its classes by folder%s",
                     o->classes ? "--classes picks" : "--class-names names", o->data,
                     o->classes ? " (train on a folder that holds only the classes wanted)" : "");
            return -1;
        }
        if (load_any_part(train, o->data, 0, spec, notes, err) ||
            load_any_part(test, o->data, 1, spec, notes, err) ||
            name_classes(o, net, train, test, err))
            return -1;
    } else if (cnn_dataset_load(train, p->path[0], p->path[1], err) ||
               cnn_dataset_load(test, p->path[2], p->path[3], err) ||
               cnn_dataset_resize(train, spec, err) || cnn_dataset_resize(test, spec, err)) {
        return -1;
    }
    if (n_keep) {
        cnn_dataset_filter(train, keep, n_keep);
        cnn_dataset_filter(test, keep, n_keep);
    }
    if (o->limit && o->limit < train->count) train->count = o->limit;
    if (train->count == 0) {
        snprintf(err, CNN_ERR_LEN, "no training images left after --classes");
        return -1;
    }
    if (check_data_fits(train, net, err) || check_data_fits(test, net, err)) return -1;
    return 0;
}

/* ---- the network and where training starts ---- */

static char *default_out(const char *net)
{
    const char *base = strrchr(net, '/') ? strrchr(net, '/') + 1 : net;
    size_t len = strcspn(base, ".");
    char *out = malloc(len + 7);
    if (out) snprintf(out, len + 7, "%.*s.model", (int)len, base);
    return out;
}

static cnn_net *start(train_opts *o, cnn_train_state *st, char *err)
{
    cnn_net *net;
    memset(st, 0, sizeof *st);
    if (o->resume) {
        net = cnn_model_load(o->resume, st, err);
        if (!net) return NULL;
        if (o->net) {
            cnn_net *asked = cnn_net_load(o->net, err);
            int same = asked && !strcmp(asked->text, net->text);
            cnn_net_free(asked);
            if (!same) {
                snprintf(err, CNN_ERR_LEN,
                         "%s: the model is for a different network "
                         "than %s",
                         o->resume, o->net);
                cnn_net_free(net);
                return NULL;
            }
        }
        if (o->r.epochs > 0) st->epochs = o->r.epochs;
        return net;
    }
    net = cnn_net_load(o->net, err);
    if (!net) return NULL;
    cnn_train_begin(net, o->seed, st);
    /* what the user set replaces the network's recipe */
    const cnn_recipe *u = &o->r;
    if (u->epochs > 0) st->epochs = u->epochs;
    if (u->batch > 0) st->batch = u->batch;
    if (u->sgd.lr >= 0) st->sgd.lr = u->sgd.lr;
    if (u->sgd.momentum >= 0) st->sgd.momentum = u->sgd.momentum;
    if (u->sgd.weight_decay >= 0) st->sgd.weight_decay = u->sgd.weight_decay;
    if (u->sgd.beta1 >= 0) st->sgd.beta1 = u->sgd.beta1;
    if (u->sgd.beta2 >= 0) st->sgd.beta2 = u->sgd.beta2;
    if (u->sgd.eps >= 0) st->sgd.eps = u->sgd.eps;
    if ((int)u->sgd.kind >= 0) st->sgd.kind = u->sgd.kind;
    if (u->sgd.warmup >= 0) st->sgd.warmup = u->sgd.warmup;
    if (u->sgd.step_every >= 0) st->sgd.step_every = u->sgd.step_every;
    if (u->sgd.gamma >= 0) st->sgd.gamma = u->sgd.gamma;
    if ((int)u->schedule >= 0) st->schedule = u->schedule;
    if (u->shift >= 0) st->shift = u->shift;
    if (u->flip >= 0) st->flip = u->flip;
    if (u->resize >= 0) st->resize = u->resize;
    st->val.count = o->val;
    st->val.keep_best = o->keep_best;
    st->val.patience = o->patience;
    return net;
}

/* Before any work: --out, --log and (with --keep-best) OUT.best are files to
 * write, none of them one of the inputs or another output (a resumed model
 * is written back, so --out may be --resume), --out is not being written by
 * another run (locked until the end), and temporary files a killed run left
 * beside the models go. best is NULL without --keep-best. */
/* The model's outputs checked and locked: OUT, and with --keep-best
 * OUT.best too, so that no other run writes either (locks[2]: their lock
 * files, or -1). */
static int claim_outputs(const train_opts *o, const char *out, const char *best,
                         const data_paths *data, int locks[2], char *err)
{
    int builtin = 0;
    for (const cnn_builtin_net *b = cnn_builtin_nets; o->net && b->name; b++)
        builtin |= !strcmp(b->name, o->net);
    named_file others[] = {
        { "--train-images", data->path[0] },
        { "--train-labels", data->path[1] },
        { "--test-images", data->path[2] },
        { "--test-labels", data->path[3] },
        { "--net", builtin ? NULL : o->net },
        { "--resume", o->resume },
        { "--out", out },
        { "--keep-best", best },
    };
    named_file model = { "--out", out }, best_model = { "--keep-best", best },
               log = { "--log", o->log };
    if (check_output(&model, 1, others, 5, err) ||
        (best && check_output(&best_model, 1, others, 7, err)) ||
        (o->log && check_output(&log, 0, others, 8, err)) || check_writable(out, err) ||
        lock_model(out, &locks[0], err) || (best && lock_model(best, &locks[1], err)))
        return -1;
    remove_stale_temporaries(out, o->quiet);
    if (best) remove_stale_temporaries(best, o->quiet);
    return 0;
}

/* ", processes 4" for the first line of a run of several. */
static const char *processes(const cnn_dist *d)
{
    static char text[32];
    if (cnn_dist_size(d) > 1) snprintf(text, sizeof text, ", processes %d", cnn_dist_size(d));
    return text;
}

/* ---- the metrics log ---- */

/* Never through a symlink, as no other output is written through one. */
static FILE *open_log(const char *path, int append, char *err)
{
    int mode = append ? O_APPEND : O_TRUNC;
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | mode, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, append ? "a" : "w") : NULL;
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot write the log: %s", path,
                 errno == ELOOP ? "it is a symlink (give the file it points to)" : strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!append || lseek(fd, 0, SEEK_END) <= 0) /* a new or empty file (or a FIFO) */
        fprintf(f, "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,"
                   "images_per_sec,lr,val_loss,val_accuracy\n");
    if (check_written(f, path, err)) {
        fclose(f);
        return NULL;
    }
    return f;
}

int cmd_train(int argc, char **argv)
{
    train_opts o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc > 0 ? EXIT_OK : EXIT_USAGE; /* the reason is printed */

    char err[CNN_ERR_LEN];
    /* Under mpirun every process runs this; rank 0 alone prints and writes.
     * A failure on any process reaches the others at the next checkpoint
     * (cnn_dist_agree), and the lowest failing rank says why. */
    cnn_dist *dist = cnn_dist_start(err);
    if (!dist) return cli_error(EXIT_FAIL, "train", "%s", err);
    int rank0 = cnn_dist_rank(dist) == 0;
    if (!rank0) o.quiet = 1;
    cnn_train_state st;
    cnn_dataset train = { 0 }, test = { 0 }, val = { 0 };
    char *best = NULL; /* OUT.best */
    cnn_trainer *t = NULL;
    FILE *log = NULL;
    char *out = NULL;
    data_paths data;
    int status = EXIT_FAIL, locks[2] = { -1, -1 };
    cnn_net *net = start(&o, &st, err);
    if (!net) goto fail;
    if (st.epochs <= st.epoch) {
        snprintf(err, CNN_ERR_LEN, "%s: already trained %d of %d epochs (raise --epochs)", o.resume,
                 st.epoch, st.epochs);
        goto fail;
    }
    out = o.out ? strdup(o.out) : o.resume ? strdup(o.resume) : default_out(o.net);
    size_t best_len = out ? strlen(out) + 6 : 0;
    if (!out || !(best = malloc(best_len))) {
        snprintf(err, CNN_ERR_LEN, "out of memory");
        goto fail;
    }
    snprintf(best, best_len, "%s.best", out);
    int keep[256], n_keep;
    if (find_data(&o, &data, err) ||
        (rank0 && claim_outputs(&o, out, st.val.keep_best ? best : NULL, &data, locks, err)) ||
        choose_data(&o, net, &st, keep, &n_keep, err) ||
        load_data(&o, &data, net, &(cnn_image_spec){ net->input, st.resize }, keep, n_keep, &train,
                  &test, err))
        goto fail;
    if (st.val.count && cnn_dataset_split(&train, &val, st.val.count, st.val.seed, err)) {
        char why[CNN_ERR_LEN];
        snprintf(why, sizeof why, "%s", err);
        if (o.resume) { /* the model's holdout: no option typed now, and no usage error */
            snprintf(err, CNN_ERR_LEN, "%s holds out %d images (its --val): %.400s", o.resume,
                     st.val.count, why);
        } else {
            snprintf(err, CNN_ERR_LEN, "--val %d: %.400s", st.val.count, why);
            status = EXIT_USAGE;
        }
        goto fail; /* said once, below */
    }
    if (!(t = cnn_trainer_new_dist(net, st.batch, o.threads, dist, err))) goto fail;
    if (st.velocity) {
        memcpy(cnn_trainer_velocity(t), st.velocity, sizeof(float) * net->n_params);
        free(st.velocity);
    }
    st.velocity = cnn_trainer_velocity(t);
    /* only the Adams keep second moments */
    int adam = st.sgd.kind == CNN_OPT_ADAM || st.sgd.kind == CNN_OPT_ADAMW;
    if (st.moment2) {
        memcpy(cnn_trainer_moment2(t), st.moment2, sizeof(float) * net->n_params);
        free(st.moment2);
    }
    st.moment2 = adam ? cnn_trainer_moment2(t) : NULL;
    cnn_trainer_set_steps(t, st.steps);
    if (rank0 && o.log && !(log = open_log(o.log, o.resume != NULL, err))) goto fail;
    if (cnn_dist_agree(dist, 0) >= 0) goto done;
    if (cnn_dist_check_run(dist, net, &st, &train, &test, err)) goto fail;
    if (cnn_dist_agree(dist, 0) >= 0) goto done;

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cnn_dist_watch(dist, &interrupted);
    report_ctx report = { { .live = !o.quiet && isatty(STDERR_FILENO),
                            .every = o.quiet ? 0 : o.progress_every,
                            .epochs = st.epochs,
                            .evaluation = -1,
                            .total_images = train.count,
                            .eval_images = test.count + val.count },
                          o.quiet,
                          log,
                          o.log,
                          out };
    cnn_fit_hooks hooks = { .out = out,
                            .best = best,
                            .on_epoch_start = on_epoch_start,
                            .on_step = on_step,
                            .on_epoch = on_epoch,
                            .ctx = &report,
                            .diverged_loss = o.no_divergence_check ? 0.0 : cnn_diverged_loss(net) };
    if (!o.quiet)
        printf("training %s (%zu parameters) on %d images, testing on %d; batch %d, "
               "%s, lr %g %s, %s %g, weight decay %g, shift %d%s%s, threads %d%s\n",
               o.net ? o.net : o.resume, net->n_params, train.count, test.count, st.batch,
               cnn_optimizer_name(st.sgd.kind), st.sgd.lr, cnn_schedule_name(st.schedule),
               adam ? "beta1" : "momentum", adam ? st.sgd.beta1 : st.sgd.momentum,
               st.sgd.weight_decay, st.shift, st.flip ? ", flip" : "", st.resize ? ", resize" : "",
               cnn_trainer_threads(t), processes(dist));
    fflush(stdout); /* before the progress lines on stderr, when both go to one file */
    double run_start = cnn_clock();
    cnn_fit_end end = cnn_fit(t, &st, &(cnn_fit_data){ &train, &test, &val }, &hooks, err);
    if (report.progress.live) fprintf(stderr, "\r\033[K");
    switch (end) {
    case CNN_FIT_DONE: break;
    case CNN_FIT_PATIENCE:
        if (!o.quiet)
            printf("stopped after epoch %d: no better validation accuracy in %d epochs "
                   "(best %.4f, epoch %d)\n",
                   st.epoch, st.val.patience, st.val.best_accuracy, st.val.best_epoch);
        break;
    case CNN_FIT_EPOCH_FAILED: /* every process stops here; rank 0 says why */
        if (rank0 && st.epoch > 0)
            cli_error(EXIT_FAIL, "train", "epoch %d %s; %s keeps the model of epoch %d",
                      st.epoch + 1, err, out, st.epoch);
        else if (rank0) cli_error(EXIT_FAIL, "train", "epoch 1 %s; no model was written", err);
        goto done;
    case CNN_FIT_INTERRUPTED:
        if (rank0 && st.epoch > 0)
            fprintf(stderr,
                    "cnn train: interrupted in epoch %d; %s holds epoch %d: "
                    "continue with cnn train --resume %s --data ...\n",
                    st.epoch + 1, out, st.epoch, out);
        else if (rank0)
            fprintf(stderr, "cnn train: interrupted in epoch 1; no model was written\n");
        status = 130;
        goto done;
    case CNN_FIT_FAILED: goto fail;
    case CNN_FIT_PEER_FAILED: goto done;
    }
    if (!o.quiet) printf("done in %.1fs; model written to %s\n", cnn_clock() - run_start, out);
    status = EXIT_OK;
    goto done;
fail:
    if (cnn_dist_agree(dist, 1) == cnn_dist_rank(dist))
        cli_error(EXIT_FAIL, "train", "%s%s", cnn_dist_name(dist), err);
done:
    if (log && fclose(log) && status == EXIT_OK)
        status = cli_error(EXIT_FAIL, "train", "%s: write failed: %s", o.log, strerror(errno));
    unlock_model(out, locks[0]);
    unlock_model(best, locks[1]);
    if (!t) {
        free(st.velocity);
        free(st.moment2);
    }
    cnn_trainer_free(t);
    cnn_net_free(net);
    cnn_dataset_free(&train);
    cnn_dataset_free(&val);
    free(best);
    cnn_dataset_free(&test);
    free(out);
    cnn_dist_end(dist);
    return status;
}
