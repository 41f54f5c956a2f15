/*
 * cnn.h: a small CNN training engine, NCHW float32, every convolution lowered
 * to im2col + OpenBLAS sgemm, OpenMP over fixed shards of each mini-batch.
 *
 * A complete training loop:
 *
 *     char err[CNN_ERR_LEN];
 *     cnn_net *net = cnn_net_load("seed000", err);          // name or file
 *     cnn_dataset train;
 *     cnn_dataset_load(&train, "train-images-idx3-ubyte.gz",
 *                      "train-labels-idx1-ubyte.gz", err);
 *     cnn_rng rng = cnn_rng_seed(42);
 *     cnn_net_init(net, &rng);                              // Glorot uniform
 *     cnn_trainer *t = cnn_trainer_new(net, 64, 0, err);    // batch 64, all cores
 *     cnn_sgd sgd = { .lr = 0.1f };
 *     for (int i = 0; i + 64 <= train.count; i += 64)
 *         cnn_train_step(t, train.images + (size_t)i * train.image_size,
 *                        train.labels + i, 64, &sgd, NULL);
 *
 * Functions that can fail return NULL or -1 and write a one-line reason,
 * naming the file and line or field, into err (CNN_ERR_LEN bytes).
 */
#ifndef CNN_H
#define CNN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CNN_ERR_LEN    512
#define CNN_MAX_LAYERS 64

/* These enums are stored in model files (as part of the description text
 * only), but keep them append-only anyway. */
typedef enum {
    CNN_ACT_NONE,
    CNN_ACT_RELU,
    CNN_ACT_SIGMOID,
    CNN_ACT_TANH,
    CNN_ACT_LEAKY /* x for x > 0, slope * x below */
} cnn_act_kind;
#define CNN_ACT_KINDS (CNN_ACT_LEAKY + 1)
typedef enum {
    CNN_CONV,
    CNN_MAXPOOL,
    CNN_MINPOOL,
    CNN_AVGPOOL,
    CNN_DENSE,
    CNN_DROPOUT,
    CNN_ADD,
    CNN_GAP,
    CNN_GMP,
    CNN_BATCHNORM,
    CNN_LAYER_KINDS /* how many there are: every table of kinds has this many entries */
} cnn_layer_kind;
typedef enum {
    CNN_LOSS_SOFTMAX_CE, /* softmax + cross-entropy, dL/dz = S - Y          */
    CNN_LOSS_BCE,        /* binary cross-entropy on sigmoid outputs        */
    CNN_LOSS_MSE         /* half the sum of squared errors                 */
} cnn_loss_kind;

typedef struct {
    int c, h, w;
} cnn_shape;

/* The update rules, each exactly as PyTorch's: torch.optim.SGD (with
 * nesterov=False or True), Adam (weight decay added to the gradient) and
 * AdamW (decoupled weight decay). */
typedef enum { CNN_OPT_SGD, CNN_OPT_NESTEROV, CNN_OPT_ADAM, CNN_OPT_ADAMW } cnn_optimizer;

typedef struct {
    float lr;           /* learning rate */
    float momentum;     /* sgd, nesterov: 0 = plain SGD */
    float weight_decay; /* L2 (decoupled for adamw) */
    float beta1, beta2; /* adam, adamw: moment decay rates */
    float eps;          /* adam, adamw: added to the root of the second moment */
    cnn_optimizer kind;
    /* How lr varies over the epochs (cnn_schedule_lr): */
    int warmup;     /* epochs of linear warm-up before the schedule */
    int step_every; /* step schedule: epochs between decays */
    float gamma;    /* step schedule: the factor of each decay */
} cnn_sgd;

/* "sgd", "nesterov", "adam", "adamw"; cnn_optimizer_parse returns -1 for
 * another name. */
const char *cnn_optimizer_name(cnn_optimizer k);
int cnn_optimizer_parse(const char *name);

typedef enum { CNN_SCHEDULE_CONSTANT, CNN_SCHEDULE_COSINE, CNN_SCHEDULE_STEP } cnn_schedule;
/* "constant", "cosine", "step"; cnn_schedule_parse returns -1 for another
 * name. */
const char *cnn_schedule_name(cnn_schedule s);
int cnn_schedule_parse(const char *name);

/* How a network trains when the user tunes nothing: the engine's defaults,
 * overridden by the description's optional `train` line. */
typedef struct {
    int epochs, batch;
    cnn_sgd sgd;
    cnn_schedule schedule;
    int shift;  /* augmentation: random shifts of up to this many pixels */
    int flip;   /* augmentation: 1, mirror half the images left to right */
    int resize; /* 1: images of another size are scaled (cnn_image_spec) */
} cnn_recipe;

/* The engine's defaults, the one place they are written: what a network
 * trains with when neither its `train` line nor the user says otherwise. */
extern const cnn_recipe cnn_recipe_default;

/* The range of every recipe setting: one table for the description's `train`
 * line, the command line and the model loader. Names are the description's
 * keys and the command's options (--weight-decay). */
typedef enum {
    CNN_RECIPE_EPOCHS,
    CNN_RECIPE_BATCH,
    CNN_RECIPE_LR,
    CNN_RECIPE_MOMENTUM,
    CNN_RECIPE_WEIGHT_DECAY,
    CNN_RECIPE_SHIFT,
    CNN_RECIPE_BETA1,
    CNN_RECIPE_BETA2,
    CNN_RECIPE_EPS,
    CNN_RECIPE_WARMUP,
    CNN_RECIPE_STEP_EVERY,
    CNN_RECIPE_GAMMA,
    CNN_RECIPE_FLIP,
    CNN_RECIPE_RESIZE,
    CNN_RECIPE_FIELDS
} cnn_recipe_field;
typedef struct {
    const char *name;
    double lo, hi;
    int whole; /* a whole number (an int field), else a float */
} cnn_recipe_limit;
extern const cnn_recipe_limit cnn_recipe_limits[CNN_RECIPE_FIELDS];
double cnn_recipe_get(const cnn_recipe *r, cnn_recipe_field f);
void cnn_recipe_set(cnn_recipe *r, cnn_recipe_field f, double v);
/* Whether v (as the field stores it) is within the field's range. */
int cnn_recipe_in_range(cnn_recipe_field f, double v);
/* Every field and the schedule in range, else -1 and
 * "source: lr=-0.05 is out of range (1e-09 to 100)". */
int cnn_recipe_check(const cnn_recipe *r, const char *source, char *err);

static inline size_t cnn_shape_size(cnn_shape s) { return (size_t)s.c * s.h * s.w; }

/* A sliding window: a convolution's kernel or a pooling window. */
typedef struct {
    int kh, kw, stride, pad;
} cnn_window;

/* An activation: its kind and, for leaky, the slope below zero (0 < slope <= 1,
 * 0.01 unless the description's slope= says otherwise). */
typedef struct {
    cnn_act_kind kind;
    float slope;
} cnn_act;

#define CNN_INPUT    (-1) /* in cnn_layer.from: the network's input */
#define CNN_NAME_MAX 31   /* of a layer's name= in a description */

/* One layer. A network is a graph: each layer reads the outputs of earlier
 * layers (from), the one before it unless the description says otherwise.
 * conv, dense and add carry an activation, applied to the output in place. */
typedef struct {
    cnn_layer_kind kind;
    cnn_act act;
    int n_from;        /* inputs: 1, or 2 for add */
    int from[2];       /* the layers read, by index, or CNN_INPUT */
    cnn_shape in, out; /* in: from[0]'s output; dense: out = {units, 1, 1} */
    size_t w_off, n_w; /* weights in the parameter block: conv (F, C*kh*kw), dense (out, in),
                          batchnorm the scales (C) */
    size_t b_off, n_b; /* biases: one per filter, unit or batchnorm channel */
    size_t s_off, n_s; /* running statistics in net->stats, not trained: batchnorm's
                          mean, then variance, per channel */
    int line;          /* line of the description it came from */
    char name[CNN_NAME_MAX + 1]; /* its name= ("" when it has none) */
    union {                      /* the settings of its kind */
        struct {
            cnn_window win; /* conv, maxpool, minpool, avgpool, gap, gmp */
            int groups;     /* conv: filters and channels in this many groups (1: all) */
        };
        float rate; /* dropout: the fraction dropped in training */
    };
} cnn_layer;

typedef struct cnn_net {
    cnn_shape input;
    int n_layers;
    cnn_layer layers[CNN_MAX_LAYERS];
    cnn_loss_kind loss;
    int classes;       /* size of the last layer's output */
    cnn_recipe recipe; /* the default training recipe */
    size_t n_params;
    float *params; /* one block for all weights and biases */
    size_t n_stats;
    float *stats;            /* the layers' running statistics (cnn_layer.s_off), which
                                training updates outside the optimiser */
    char *text;              /* the description it was parsed from */
    char **class_names;      /* what each of the classes outputs stands for:
                                  "0", "1", ... from a description; the labels
                                  (IDX) or names a training run chose */
    int class_names_guessed; /* 1 for a format-1 model, which did not record
                                  them: the names are those defaults */
    int *class_labels;       /* IDX data given names (train --class-names):
                                  the IDX label each output stands for; NULL:
                                  the names are the labels ("7") or folders */
} cnn_net;

/* ---- the process ---------------------------------------------------------- */

/* The BLAS library running the products: its version ("0.3.21"), kernel
 * family (openblas_get_corename(): "Haswell", "Cooperlake", ...), threading
 * model ("OpenMP", "pthreads", "sequential") and OPENBLAS_CORETYPE (NULL:
 * unset, so OpenBLAS picked the kernel). Speeds differ by kernel; say which. */
typedef struct {
    char version[32], kernel[32];
    const char *threading, *coretype_env;
} cnn_blas_info;
cnn_blas_info cnn_blas_get_info(void);
/* The same as one line: "OpenBLAS 0.3.21, Haswell kernels (OPENBLAS_CORETYPE
 * =Haswell), OpenMP threading". */
void cnn_blas_describe(char *buf, size_t len);
/* Seconds on the monotonic clock, for timing. */
double cnn_clock(void);

/* ---- networks ------------------------------------------------------------ */

typedef struct {
    const char *name, *text;
} cnn_builtin_net;
extern const cnn_builtin_net cnn_builtin_nets[]; /* ends with {NULL, NULL} */

/* Parse a description; `source` names it in error messages ("file:line: ..."). */
cnn_net *cnn_net_parse(const char *text, const char *source, char *err);
/* A shipped network by name (seed000, seed002, seed003, seed004, lenet) or a file. */
cnn_net *cnn_net_load(const char *name_or_path, char *err);
void cnn_net_free(cnn_net *net);
/* Name the outputs: n must be net->classes; each name 1 to CNN_CLASS_NAME_MAX
 * bytes without control characters, all different. IDX data names a class
 * by its label in decimal ("7"). Errors start with `source`. */
#define CNN_CLASS_NAME_MAX 255
int cnn_net_set_class_names(cnn_net *net, const char *const *names, int n, const char *source,
                            char *err);
/* Record that output k stands for IDX label labels[k] (0 to 255, all
 * different) under the name it has: IDX data named by the user. */
int cnn_net_set_class_labels(cnn_net *net, const int *labels, int n, const char *source, char *err);
/* Class names from a text file, one a line in label order (line k names
 * label k, as CIFAR-10's batches.meta.txt does; blank lines are skipped):
 * at most max names into names[] (each malloc'd, for the caller to free),
 * their number in *n. Errors name the file and line. */
int cnn_class_names_read(const char *path, char **names, int max, int *n, char *err);
const char *cnn_act_name(cnn_act_kind k);
const char *cnn_layer_name(cnn_layer_kind k);
const char *cnn_loss_name(cnn_loss_kind k);
/* Multiply-adds of one image's forward pass through layer l. */
double cnn_layer_macs(const cnn_layer *L);
/* The layer in words, as cnn info shows it: "conv 4@3x3 stride 1 pad 0 relu". */
void cnn_layer_describe(const cnn_layer *L, char *buf, size_t len);

/* ---- random numbers and initialisation ----------------------------------- */

typedef struct {
    uint64_t s;
} cnn_rng; /* splitmix64: one explicit state */
cnn_rng cnn_rng_seed(uint64_t seed);
uint64_t cnn_rng_next(cnn_rng *r);
float cnn_rng_uniform(cnn_rng *r); /* [0, 1) */
void cnn_rng_shuffle(cnn_rng *r, int *idx, int n);

/* Glorot/Xavier uniform, +-sqrt(6 / (fan_in + fan_out)), fans counted with
 * channels x kernel area; biases zero. */
void cnn_net_init(cnn_net *net, cnn_rng *rng);

/* ---- training and inference ---------------------------------------------- */

typedef struct cnn_trainer cnn_trainer;

/* Workspaces for batches of up to max_batch images on `threads` threads
 * (0 = all cores). Everything is allocated here, nothing per step. */
cnn_trainer *cnn_trainer_new(cnn_net *net, int max_batch, int threads, char *err);
void cnn_trainer_free(cnn_trainer *t);
int cnn_trainer_threads(const cnn_trainer *t);
int cnn_trainer_max_batch(const cnn_trainer *t);
const cnn_net *cnn_trainer_net(const cnn_trainer *t);
/* The optimiser's state, saved with a model for resuming: the momentum
 * buffer or Adam's first moments, Adam's second moments (n_params floats
 * each) and the number of steps taken. */
float *cnn_trainer_velocity(cnn_trainer *t);
float *cnn_trainer_moment2(cnn_trainer *t);
uint64_t cnn_trainer_steps(const cnn_trainer *t);
void cnn_trainer_set_steps(cnn_trainer *t, uint64_t steps);
/* The key of the dropout masks of the following steps (and cnn_gradient
 * calls); cnn_train_epoch draws one per step from its RNG. */
void cnn_trainer_set_dropout_key(cnn_trainer *t, uint64_t key);

/* One SGD step on n <= max_batch images (NCHW, n * input size floats) with
 * class labels. Returns the mean loss; *correct (if not NULL) receives how
 * many images the network classified right before the update. The result
 * does not depend on the number of threads. */
double cnn_train_step(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                      const cnn_sgd *sgd, int *correct);

/* Forward only: out receives n * classes outputs (softmax probabilities for
 * a softmax network, the last layer's activations otherwise). If labels is
 * not NULL, returns the summed loss and counts *correct. */
double cnn_infer(cnn_trainer *t, const float *x, const uint8_t *labels, int n, float *out,
                 int *correct);

/* After a step whose loss was not finite: the first layer whose output was
 * not, or -1. */
int cnn_trainer_nonfinite_layer(const cnn_trainer *t);

/* One image through layers 0..layer; out receives that layer's output
 * (cnn_shape_size(net->layers[layer].out) floats). For looking inside. */
int cnn_layer_output(const cnn_net *net, const float *x, int layer, float *out, char *err);

/* The gradient of the mean loss over a batch, without updating: the sum of
 * the shards' gradients, in the layout of net->params. Returns the mean loss. */
double cnn_gradient(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                    const float **grad);

/* Where training time goes (bench --layers): seconds summed over threads
 * since profiling was switched on, by layer, by phase, and by sgemm (each
 * layer's forward, kernel-gradient and input-gradient products, with the
 * shape of their largest call). Off by default; on, it costs two clock reads
 * per phase and per sgemm. */
typedef enum {
    CNN_PHASE_IM2COL,
    CNN_PHASE_SGEMM,
    CNN_PHASE_POOL,
    CNN_PHASE_ACT,
    CNN_PHASE_NORM,
    CNN_PHASE_LOSS,
    CNN_PHASE_REDUCE,
    CNN_PHASE_UPDATE,
    CNN_PHASES
} cnn_phase;
typedef enum {
    CNN_GEMM_FORWARD,
    CNN_GEMM_WEIGHT_GRAD,
    CNN_GEMM_INPUT_GRAD,
    CNN_GEMM_KINDS
} cnn_gemm_kind;
typedef struct {
    int m, n, k, trans_a, trans_b; /* the largest call: C (m, n) = op(A) (m, k) op(B) (k, n) */
    long calls;
    double flops, seconds;
} cnn_gemm_stat;
typedef struct {
    double forward[CNN_MAX_LAYERS], backward[CNN_MAX_LAYERS];
    double phase[CNN_PHASES];
    cnn_gemm_stat gemm[CNN_MAX_LAYERS][CNN_GEMM_KINDS];
    long steps;
} cnn_profile;
extern const char *const cnn_phase_names[CNN_PHASES];
void cnn_trainer_profile(cnn_trainer *t, int on); /* on also resets */
void cnn_trainer_profile_read(const cnn_trainer *t, cnn_profile *out);

/* ---- data ---------------------------------------------------------------- */

typedef struct {
    int count, channels, height, width;
    size_t image_size; /* channels * height * width */
    uint8_t *pixels;   /* count * image_size bytes as the files hold them (0-255);
                             the network sees each divided by 255 */
    uint8_t *labels;   /* count */
    char images_path[256], labels_path[256]; /* where they came from, for messages */
    char **class_names; /* image folders, CIFAR-10: label k's name; IDX: NULL */
    int n_classes;      /* how many class_names */
} cnn_dataset;

/* Images first .. first+n-1 of d as the network sees them, into out
 * (n * image_size floats): each byte / 255. */
void cnn_dataset_images(const cnn_dataset *d, int first, int n, float *out);

/* Read an IDX image file and its label file, plain or gzip-compressed. */
int cnn_dataset_load(cnn_dataset *d, const char *images_path, const char *labels_path, char *err);
/* Read images only (labels NULL), e.g. for prediction. */
int cnn_idx_read_images(cnn_dataset *d, const char *path, char *err);
/* The same from a stream already open (a pipe, standard input), read once
 * front to back; `name` names it in messages. */
int cnn_idx_read_images_from(cnn_dataset *d, FILE *f, const char *name, char *err);
void cnn_dataset_free(cnn_dataset *d);

/* What every image of a data set becomes: the network's input. An image of
 * another height or width is an error naming both sizes, unless `resize`:
 * then it is scaled so that it covers the input (its shorter side, relative
 * to the input's, becomes the input's) and cropped about the centre, each
 * pixel the mean of the area it covers (area averaging). */
typedef struct {
    cnn_shape shape;
    int resize;
} cnn_image_spec;

/* Images in class folders, DIR/<class>/... as PyTorch's ImageFolder reads
 * them: PNG, JPEG, PGM or PPM files at any depth below a class folder; the
 * classes are the folder names in sorted (byte) order, the images of each in
 * sorted order of their paths. Every image becomes `shape` (the network's
 * input): grey, grey+alpha, RGB, RGBA or palette, converted to its channels
 * (RGB to grey by BT.601 luma, grey to RGB by copying, alpha dropped against
 * black), and sized by spec. Decoding runs on all
 * OpenMP threads, with the same bytes whatever their count. Notes (what was
 * converted, files that are not images, progress when it takes over a
 * second) go to `notes` when not NULL, one line each. */
int cnn_dataset_load_folders(cnn_dataset *d, const char *dir, const cnn_image_spec *spec,
                             FILE *notes, char *err);
/* CIFAR-10's binary files (records of a label byte and 3x32x32 bytes), one
 * after the other; meta (batches.meta.txt, or NULL) names the classes,
 * else "0" to "9". A 1-channel shape gets BT.601 luma. */
int cnn_dataset_load_cifar(cnn_dataset *d, const char *const *files, int n_files, const char *meta,
                           const cnn_image_spec *spec, char *err);
/* d's images scaled as spec->resize says (nothing to do without it or at
 * the same size), for data sets of one size such as IDX files. */
int cnn_dataset_resize(cnn_dataset *d, const cnn_image_spec *spec, char *err);
/* One PNG, JPEG, PGM or PPM file as spec says, converted as above, into
 * out (the shape's size in bytes, planar); what was converted is or-ed into
 * *conversions. */
int cnn_image_file_read(uint8_t *out, const cnn_image_spec *spec, const char *path,
                        unsigned *conversions, char *err);
/* The same from the file's bytes in memory, `name` naming it in messages. */
int cnn_image_decode(uint8_t *out, const cnn_image_spec *spec, const uint8_t *data, size_t len,
                     const char *name, unsigned *conversions, char *err);
/* Every image file below dir (any depth), in sorted order of the paths,
 * into *paths (n of them, each and the array malloc'ed). */
int cnn_image_paths(const char *dir, char ***paths, size_t *n, char *err);
/* Keep only the listed classes, relabelled 0..n_keep-1 in the listed order. */
void cnn_dataset_filter(cnn_dataset *d, const int *keep, int n_keep);
/* Move n images (1 <= n < train->count), stratified by class and chosen by
 * seed, into val (allocated; free it with cnn_dataset_free). */
int cnn_dataset_split(cnn_dataset *train, cnn_dataset *val, int n, uint64_t seed, char *err);

/* ---- epochs ---------------------------------------------------------------- */

typedef struct {
    double loss;     /* mean loss over the epoch's images */
    double accuracy; /* fraction classified right (before each update) */
    int images;
} cnn_epoch_stats;

/* Called after every step with the running means so far; returning nonzero
 * stops the epoch (e.g. on Ctrl-C). */
typedef int (*cnn_progress_fn)(void *ctx, int step, int steps, const cnn_epoch_stats *so_far);

/* How training images are varied, each by its own draws from the run's RNG,
 * in this order: a shift by (dx, dy), each uniform in [-shift, shift], zeros
 * filling in (the same as zero-padding by `shift` and a random crop back to
 * size: CIFAR's recipe); then, with flip, a mirror left to right when the
 * next draw is odd. Nothing is drawn for what is off. */
typedef struct {
    int shift;
    int flip;
} cnn_augment;
/* dst = src (channels x height x width bytes) as the network sees it (each
 * / 255), varied by aug's rule, drawn from rng. */
void cnn_augment_image(float *dst, const uint8_t *src, cnn_shape shape, const cnn_augment *aug,
                       cnn_rng *rng);

/* One pass over d in an order shuffled by rng, in batches of `batch` (the
 * last one smaller), each image varied by aug (NULL: as it is). Stops at
 * the first non-finite loss or parameter, saying at which step and in which
 * layer. Returns 0 when done, 1 when progress asked to stop, -1 with err set
 * on failure. */
int cnn_train_epoch(cnn_trainer *t, const cnn_dataset *d, int batch, const cnn_augment *aug,
                    const cnn_sgd *sgd, cnn_rng *rng, cnn_progress_fn progress, void *ctx,
                    cnn_epoch_stats *stats, char *err);

/* Loss and accuracy over all of d; confusion (classes x classes, row = true
 * class, column = prediction) is filled when not NULL. */
cnn_epoch_stats cnn_evaluate(cnn_trainer *t, const cnn_dataset *d, int *confusion);

/* The first layer whose parameters hold a NaN or infinity, or -1. */
int cnn_net_first_nonfinite(const cnn_net *net);

/* ---- model files ----------------------------------------------------------- */

/* Everything a resume needs. The file is little-endian, fixed-width, ends in a
 * CRC32, and holds no timestamps, host names or thread counts. */
/* The learning rate of epoch e (0-based) of `epochs`: o->lr (e+1)/(warmup+1)
 * in the first o->warmup epochs, then over the remaining ones constant,
 * cosine decay from o->lr towards zero, or o->lr times gamma^(k / step_every)
 * in the k-th epoch after the warm-up; evaluated at the start of each epoch. */
float cnn_schedule_lr(cnn_schedule s, const cnn_sgd *o, int e, int epochs);

typedef struct {
    int epoch;  /* epochs completed */
    int epochs; /* epochs planned */
    cnn_schedule schedule;
    int shift, flip; /* augmentation (cnn_recipe's) */
    int resize;      /* images scaled to the input: eval and predict do the same */
    cnn_rng rng;     /* RNG state after that epoch */
    cnn_sgd sgd;     /* optimiser settings (lr: the schedule's base rate) */
    int batch;
    float *velocity; /* n_params floats, or NULL for none */
    float *moment2;  /* Adam's second moments, n_params floats, or NULL */
    uint64_t steps;  /* optimiser steps taken (Adam's bias correction) */
    /* Which training images the run used, so that a resume uses them again
     * (-1 in both: a format-1 model, which did not record them): */
    int limit;          /* the first `limit` of them (0: all) */
    int select_classes; /* 1: only those of the net's classes (train --classes) */
    /* --val: the images held out for validation, and the best so far */
    struct {
        int count;      /* images held out (0: no validation) */
        uint64_t seed;  /* which ones (cnn_dataset_split) */
        int keep_best;  /* 1: the best model goes to OUT.best */
        int patience;   /* stop after this many epochs without a better
                                 accuracy (0: never) */
        int best_epoch; /* the epoch of the best accuracy (0: none yet) */
        float best_accuracy;
    } val;
} cnn_train_state;

/* Written atomically: a temporary file in the same folder, fsync, rename. */
int cnn_model_save(const char *path, const cnn_net *net, const cnn_train_state *st, char *err);
/* Loads the network and its parameters; st (optional) receives the training
 * state, with st->velocity and st->moment2 malloc'ed (free them). */
cnn_net *cnn_model_load(const char *path, cnn_train_state *st, char *err);

/* ---- a whole run ---------------------------------------------------------- */

/* The data of a run: the training images, the test set evaluated after
 * every epoch, and the held-out images (cnn_dataset_split; NULL: none). */
typedef struct {
    const cnn_dataset *train, *test, *val;
} cnn_fit_data;

/* What one finished epoch measured. */
typedef struct {
    int epoch, epochs;                /* the epoch finished (from 1), of those planned */
    float lr;                         /* its learning rate */
    cnn_epoch_stats train, test, val; /* val: with held-out images */
    double seconds;                   /* its training; evaluation left out */
    int better;                       /* the best validation accuracy so far */
} cnn_epoch_report;

/* Where a run writes and whom it tells; every field may be 0. Under MPI
 * only rank 0 writes the files. */
typedef struct {
    const char *out;  /* the model, after every epoch */
    const char *best; /* with st->val.keep_best: the best epoch's model */
    void (*on_epoch_start)(void *ctx, int epoch, float lr); /* epoch from 0 */
    cnn_progress_fn on_step; /* within an epoch; non-zero stops the run */
    /* After an epoch is saved; non-zero ends the run as failed, err set. */
    int (*on_epoch)(void *ctx, const cnn_epoch_report *r, char *err);
    void *ctx;
    /* An epoch whose training loss exceeds this has diverged: the run ends
     * as CNN_FIT_EPOCH_FAILED before saving it, so the model on disk is the
     * last good epoch's (0: no check; cnn_diverged_loss gives cnn's rule). */
    double diverged_loss;
} cnn_fit_hooks;

/* cnn train's divergence rule: 100 times the loss of a uniform guess (ln of
 * the classes for softmax cross-entropy, ln 2 for binary cross-entropy, 0.5
 * for mean squared error against one-hot targets, outputs all 0). A run that
 * learns starts near that loss and goes below it. */
double cnn_diverged_loss(const cnn_net *net);

typedef enum {
    CNN_FIT_DONE,         /* st->epochs reached */
    CNN_FIT_PATIENCE,     /* st->val.patience epochs without a better accuracy */
    CNN_FIT_INTERRUPTED,  /* on_step or a signal (cnn_dist_watch) stopped it */
    CNN_FIT_EPOCH_FAILED, /* a non-finite loss or parameter; err says where */
    CNN_FIT_FAILED,       /* a save, a hook or the processes' check; err says why
                              (cnn_dist_agree(d, 1) then tells the others) */
    CNN_FIT_PEER_FAILED,  /* another process failed; it says why */
} cnn_fit_end;

/* A new run of net: its parameters initialised from seed (cnn_net_init),
 * and st its recipe (net->recipe) at epoch 0, with no validation, ready for
 * cnn_fit; change any field before the run. */
void cnn_train_begin(cnn_net *net, uint64_t seed, cnn_train_state *st);

/* Train t's network from st's position to st->epochs: each epoch trains
 * (st's recipe and augmentation, lr from its schedule), evaluates, checks
 * that all processes hold the same parameters, saves and reports. st
 * follows the run: after any end, st->epoch counts the epochs finished. */
cnn_fit_end cnn_fit(cnn_trainer *t, cnn_train_state *st, const cnn_fit_data *data,
                    const cnn_fit_hooks *hooks, char *err);

/* ---- export -------------------------------------------------------------- */

/* Where an exported network came from, for the comments of the files written. */
typedef struct {
    const char *model; /* the model file, named in the output's comments */
    const char *name;  /* C export: the entry points' prefix, a C identifier */
} cnn_export_info;

/* The network and its parameters as an ONNX model (opset 13): input "image",
 * (N, C, H, W) floats in [0, 1] (pixel bytes / 255); output "probs",
 * (N, classes), what cnn_infer gives. Written atomically. Refuses parameters
 * that are not finite. */
int cnn_export_onnx(const char *path, const cnn_net *net, const cnn_export_info *about, char *err);

/* The network and its parameters as one self-contained C99 file needing only
 * libm, with the entry points
 *     int NAME_predict(const float *image, float *probs);
 *     int NAME_predict_scratch(const float *image, float *probs, float *scratch);
 * (the second for small stacks: scratch holds NAME_SCRATCH_FLOATS floats),
 * each returning the argmax. Written atomically; refuses parameters that are
 * not finite and a name that is not a C identifier. */
int cnn_export_c(const char *path, const cnn_net *net, const cnn_export_info *about, char *err);

/* ---- several processes (MPI) ----------------------------------------------- */

/* The processes that train one model together: under mpirun, every rank of
 * the job; otherwise this process alone. A trainer made for them gives each
 * process whole aligned subtrees of every batch's shard tree, combines the
 * partial sums over the same tree, and hands every process the gradient a
 * single process computes, bit for bit; every process then makes the same
 * update, so the parameters never need sending. cnn_evaluate splits the
 * data among them. The process count must be a power of two. */
typedef struct cnn_dist cnn_dist;

/* Starts MPI when an MPI launcher started this process (in a build with
 * MPI), else a run of this process alone. NULL with err set on failure. */
cnn_dist *cnn_dist_start(char *err);
/* Ends MPI; every process calls it. Frees d. */
void cnn_dist_end(cnn_dist *d);
int cnn_dist_rank(const cnn_dist *d);
int cnn_dist_size(const cnn_dist *d);
/* "rank 1 of 4 on HOST: " to start a process's messages; "" alone. */
const char *cnn_dist_name(const cnn_dist *d);
/* The MPI library built in ("Open MPI v4.1.4"), or NULL without MPI. */
const char *cnn_dist_library(void);

/* A point every process reaches: `failed` says whether this one failed.
 * Returns the lowest rank that failed, or -1; the same on every process. */
int cnn_dist_agree(cnn_dist *d, int failed);
/* Every process compares what it trains with rank 0's: network, parameters,
 * training state, and the data sets unless NULL. 0 when all agree; else -1,
 * and on a process that differs err says what (cnn_dist_agree next tells
 * every process who). */
int cnn_dist_check_run(cnn_dist *d, const cnn_net *net, const cnn_train_state *st,
                       const cnn_dataset *train, const cnn_dataset *test, char *err);
/* Stopping together: every process reads *flag (set by a signal handler) at
 * every training step, and cnn_dist_stopping says whether any process had
 * it set at the last step, the same answer on all of them. */
void cnn_dist_watch(cnn_dist *d, const volatile sig_atomic_t *flag);
int cnn_dist_stopping(const cnn_dist *d);
/* What the training steps exchanged so far: bytes this process sent, the
 * seconds it spent in exchanges, and the steps. */
void cnn_dist_traffic(const cnn_dist *d, double *bytes, double *seconds, long *steps);

/* cnn_trainer_new for the processes of d (NULL: this one alone): each
 * allocates gradient blocks only for the shards it runs. */
cnn_trainer *cnn_trainer_new_dist(cnn_net *net, int max_batch, int threads, cnn_dist *d, char *err);

#endif
