/* Model files: a save/load round trip is exact (parameters, optimiser state,
 * epoch, RNG, recipe, data selection, class names), the same state writes
 * the same bytes, version 1 files still load, and damaged or crafted files
 * (with a valid checksum) are refused with a message naming the file and
 * what is wrong, without allocating what they claim. */
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include "check.h"

static void read_all(const char *path, unsigned char **data, long *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    *data = malloc(*len);
    CHECK(fread(*data, 1, *len, f) == (size_t)*len);
    fclose(f);
}

static void write_all(const char *path, const unsigned char *data, long len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, len, f) == (size_t)len && fclose(f) == 0);
}

static void expect_refused(const char *path, const char *why)
{
    char err[CNN_ERR_LEN];
    cnn_train_state st;
    cnn_net *net = cnn_model_load(path, &st, err);
    if (net) FAIL("%s: loaded, expected \"%s\"", path, why);
    if (strncmp(err, path, strlen(path)) || !strstr(err, why))
        FAIL("message \"%s\" does not name %s and say \"%s\"", err, path, why);
}

/* ---- writing crafted files ---- */

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_float(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_le(p, v, 4);
}

/* A growing file image. */
typedef struct {
    unsigned char b[1 << 16];
    long len;
} image;

static void add(image *im, const void *p, long len)
{
    CHECK(im->len + len <= (long)sizeof im->b);
    memcpy(im->b + im->len, p, len);
    im->len += len;
}

static void add_le(image *im, uint64_t v, int bytes)
{
    unsigned char x[8];
    put_le(x, v, bytes);
    add(im, x, bytes);
}

static void add_float(image *im, float f)
{
    add_le(im, 0, 4);
    put_float(im->b + im->len - 4, f);
}

static void add_section(image *im, const char *tag, const void *p, long len)
{
    add(im, tag, 4);
    add_le(im, (uint64_t)len, 8);
    add(im, p, len);
}

/* Append the CRC of everything so far and write the file. */
static void seal_and_write(image *im, const char *path)
{
    add_le(im, crc32(0L, im->b, (uInt)im->len), 4);
    write_all(path, im->b, im->len);
}

/* Where a version-2 file's sections are. */
typedef struct {
    char tag[5];
    long at, len; /* the payload */
} section;

static int sections_of(const unsigned char *data, long len, section *s)
{
    int n = 0;
    for (long at = 12; at < len - 4; n++) {
        memcpy(s[n].tag, data + at, 4);
        s[n].tag[4] = 0;
        s[n].len = 0;
        for (int i = 7; i >= 0; i--) s[n].len = s[n].len << 8 | data[at + 4 + i];
        s[n].at = at + 12;
        at = s[n].at + s[n].len;
    }
    return n;
}

static long payload(const unsigned char *data, long len, const char *tag)
{
    section s[16];
    int n = sections_of(data, len, s);
    for (int k = 0; k < n; k++)
        if (!strcmp(s[k].tag, tag)) return s[k].at;
    FAIL("no %s section", tag);
}

/* The file again with its sections in the order `tags` (space-separated),
 * then `extra` raw bytes, sealed. */
static void rebuild(const unsigned char *data, long len, const char *tags, const char *path)
{
    static image im;
    section s[16];
    int n = sections_of(data, len, s);
    im.len = 0;
    add(&im, data, 12);
    for (const char *t = tags; *t; t += t[4] ? 5 : 4)
        for (int k = 0; k < n; k++)
            if (!strncmp(s[k].tag, t, 4)) add(&im, data + s[k].at - 12, s[k].len + 12);
    seal_and_write(&im, path);
}

/* A good file's bytes to patch, and where each patched copy is written. */
typedef struct {
    unsigned char *data;
    long len;
    char path[256];
} patched;

static void start_patching(patched *p, const char *good, const char *dir, const char *name)
{
    read_all(good, &p->data, &p->len);
    snprintf(p->path, sizeof p->path, "%s/%s", dir, name);
}

/* Write the patched bytes with their CRC redone; expect the load refused. */
static void expect_patch_refused(patched *p, const char *why)
{
    put_le(p->data + p->len - 4, crc32(0L, p->data, (uInt)(p->len - 4)), 4);
    write_all(p->path, p->data, p->len);
    expect_refused(p->path, why);
}

/* ---- the tests ---- */

/* Damaged files: truncated anywhere, any bit flipped, wrong magic, a newer
 * version, and the bytes a big-endian writer would produce. */
static void test_damaged(const char *dir)
{
    unsigned char *data;
    long len;
    char bad[256], good[256], err[CNN_ERR_LEN];
    snprintf(good, sizeof good, "%s/seed000.model", dir);
    cnn_net *net = cnn_net_load("seed000", err);
    CHECK(net != NULL);
    CHECK_OK(cnn_model_save(good, net, NULL, err), err);
    cnn_net_free(net);
    read_all(good, &data, &len);
    snprintf(bad, sizeof bad, "%s/bad.model", dir);
    for (long cut = 0; cut < len; cut += cut < 64 ? 1 : 997) {
        write_all(bad, data, cut);
        expect_refused(bad, cut < 12 ? "not a model file" : "");
    }
    for (long bit = 0; bit < len * 8; bit += 89) {
        data[bit / 8] ^= (unsigned char)(1 << (bit % 8));
        write_all(bad, data, len);
        expect_refused(bad, bit < 64 ? "wrong magic" : bit < 96 ? "version" : "checksum mismatch");
        data[bit / 8] ^= (unsigned char)(1 << (bit % 8));
    }
    unsigned char keep[4];
    memcpy(keep, data + 8, 4);
    data[8] = 7; /* version 7 */
    write_all(bad, data, len);
    expect_refused(bad, "model format version 7 is newer than this program's (6)");
    /* a big-endian writer puts version 6 as 00 00 00 06: read as 100663296 */
    data[8] = 0, data[9] = 0, data[10] = 0, data[11] = 6;
    write_all(bad, data, len);
    expect_refused(bad, "version 100663296 is newer");
    memcpy(data + 8, keep, 4);
    memcpy(data, "CNNMODEX", 8);
    write_all(bad, data, len);
    expect_refused(bad, "not a model file (wrong magic)");
    expect_refused(dir, "not a regular file");
    free(data);
}

/* A NaN or infinity in the parameters or velocities, checksum valid: refused
 * naming the layer, its line and the part (seed000: conv line 5, maxpool,
 * conv line 7, maxpool, dense line 9; 52 + 76 + 1010 parameters). */
static void test_nonfinite(const char *dir, const char *good)
{
    patched p;
    start_patching(&p, good, dir, "nonfinite.model");
    long parm = payload(p.data, p.len, "PARM"), velo = payload(p.data, p.len, "VELO");
    struct {
        long at;
        float value;
        const char *why;
    } cases[] = {
        { parm + 4 * 60, NAN, "layer 3 (conv, line 7): a weight is NaN (the model is damaged)" },
        { parm + 4 * 1130, INFINITY, "layer 5 (dense, line 9): a bias is infinite" },
        { parm + 4 * 0, -INFINITY, "layer 1 (conv, line 5): a weight is infinite" },
        { velo + 4 * 51, NAN, "layer 1 (conv, line 5): the velocity of a bias is NaN" },
        { velo + 4 * 1137, -INFINITY,
          "layer 5 (dense, line 9): the velocity of a bias is infinite" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char keep[4];
        memcpy(keep, p.data + cases[i].at, 4);
        put_float(p.data + cases[i].at, cases[i].value);
        expect_patch_refused(&p, cases[i].why);
        memcpy(p.data + cases[i].at, keep, 4);
    }
    free(p.data);
}

/* The stored recipe goes through the same table as descriptions and the
 * command line: each field just outside its range is refused by name, and
 * so are the values of the audit; the state's other fields too. */
static void test_stored_recipe(const char *dir, const char *good)
{
    patched p;
    char why[128];
    start_patching(&p, good, dir, "recipe.model");
    unsigned char *stat = p.data + payload(p.data, p.len, "STAT"), keep[40];
    unsigned char *optm = p.data + payload(p.data, p.len, "OPTM"), keep_optm[36];
    unsigned char *augm = p.data + payload(p.data, p.len, "AUGM");
    memcpy(keep, stat, 40);
    memcpy(keep_optm, optm, 36);
    /* STAT: epoch 0, epochs 4, schedule 8, shift 12, rng 16, lr 24, momentum
     * 28, weight decay 32, batch 36; OPTM: optimizer 0, beta1 4, beta2 8,
     * eps 12, steps 16, warmup 24, step-every 28, gamma 32; AUGM: flip 0,
     * resize 4 */
    const long offset[CNN_RECIPE_FIELDS] = {
        [CNN_RECIPE_EPOCHS] = 4,    [CNN_RECIPE_BATCH] = 36,        [CNN_RECIPE_LR] = 24,
        [CNN_RECIPE_MOMENTUM] = 28, [CNN_RECIPE_WEIGHT_DECAY] = 32, [CNN_RECIPE_SHIFT] = 12,
        [CNN_RECIPE_BETA1] = 4,     [CNN_RECIPE_BETA2] = 8,         [CNN_RECIPE_EPS] = 12,
        [CNN_RECIPE_WARMUP] = 24,   [CNN_RECIPE_STEP_EVERY] = 28,   [CNN_RECIPE_GAMMA] = 32,
        [CNN_RECIPE_FLIP] = 0,      [CNN_RECIPE_RESIZE] = 4,
    };
    for (int f = 0; f < CNN_RECIPE_FIELDS; f++) {
        const cnn_recipe_limit *L = &cnn_recipe_limits[f];
        int in_optm = f >= CNN_RECIPE_BETA1 && f <= CNN_RECIPE_GAMMA;
        int in_augm = f == CNN_RECIPE_FLIP || f == CNN_RECIPE_RESIZE;
        unsigned char *at = (in_augm ? augm : in_optm ? optm : stat) + offset[f];
        double outside[2] = { L->whole ? L->lo - 1 : -1e-3, L->whole ? L->hi + 1 : L->hi * 1.01 };
        for (int i = 0; i < 2; i++) {
            if (L->whole) put_le(at, (uint32_t)(int32_t)outside[i], 4);
            else put_float(at, (float)outside[i]);
            snprintf(why, sizeof why, "%s=", L->name);
            expect_patch_refused(&p, why);
            memcpy(stat, keep, 40);
            memcpy(optm, keep_optm, 36);
            put_le(augm, 0, 4);
            put_le(augm + 4, 0, 4);
        }
    }
    struct {
        long at;
        double value;
        const char *why;
    } optm_cases[] = {
        { 8, 1.0, "beta2=1 is out of range (0 to 0.99999)" },
        { 12, 0.0, "eps=0 is out of range (1e-12 to 1)" },
        { 0, -1, "optimizer 4 is not sgd, nesterov, adam or adamw" },
    };
    for (size_t i = 0; i < sizeof optm_cases / sizeof optm_cases[0]; i++) {
        if (optm_cases[i].at) put_float(optm + optm_cases[i].at, (float)optm_cases[i].value);
        else put_le(optm, 4, 4);
        expect_patch_refused(&p, optm_cases[i].why);
        memcpy(optm, keep_optm, 36);
    }
    struct {
        long at;
        int is_float;
        double value;
        const char *why;
    } cases[] = {
        { 24, 1, -0.05, "lr=-0.05 is out of range (1e-09 to 100)" },
        { 24, 1, NAN, "lr=nan is out of range" },
        { 28, 1, 1.5, "momentum=1.5 is out of range (0 to 0.999)" },
        { 28, 1, 1.0, "momentum=1 is out of range" },
        { 32, 1, -10, "weight-decay=-10 is out of range (0 to 1)" },
        { 36, 0, 0, "batch=0 is out of range (1 to 65536)" },
        { 36, 0, 1000000, "batch=1000000 is out of range" },
        { 12, 0, 64, "shift=64 is out of range (0 to 8)" },
        { 8, 0, 3, "schedule 3 is not constant, cosine or step" },
        { 0, 0, 31, "31 of 30 epochs done: more than planned" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].is_float) put_float(stat + cases[i].at, (float)cases[i].value);
        else put_le(stat + cases[i].at, (uint32_t)cases[i].value, 4);
        expect_patch_refused(&p, cases[i].why);
        memcpy(stat, keep, 40);
    }
    put_le(p.data + payload(p.data, p.len, "DATA") + 4, 2, 4);
    expect_patch_refused(&p, "bad data selection (limit 0, select 2)");
    free(p.data);
}

/* The class list: the network's count, names that are there and distinct. */
static void test_class_list(const char *dir, const char *good)
{
    patched p;
    start_patching(&p, good, dir, "classes.model");
    /* names "0".."9": count, then per name a length of 1 and the digit */
    unsigned char *clas = p.data + payload(p.data, p.len, "CLAS");
    put_le(clas, 9, 4);
    expect_patch_refused(&p, "the class list does not have the network's 10 classes");
    put_le(clas, 10, 4);
    clas[4 + 5 * 3 + 4] = '1';
    expect_patch_refused(&p, "the name of class 3 is given twice");
    clas[4 + 5 * 3 + 4] = '\n';
    expect_patch_refused(&p, "the name of class 3 holds a control character");
    clas[4 + 5 * 3 + 4] = '3';
    put_le(clas + 4 + 5 * 9, 300, 4);
    expect_patch_refused(&p, "the name of class 9 runs past its section");
    put_le(clas + 4 + 5 * 9, 0, 4);
    expect_patch_refused(&p, "the class list ends with 1 unread byte");
    free(p.data);

    /* names given through the library: the same rules */
    char err[CNN_ERR_LEN], long_name[CNN_CLASS_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    cnn_net *net = cnn_net_load("seed002", err);
    CHECK(net != NULL);
    const char *empty[2] = { "cat", "" }, *too_long[2] = { long_name, "dog" },
               *three[3] = { "a", "b", "c" }, *good_names[2] = { "cat", "dog" };
    CHECK(cnn_net_set_class_names(net, empty, 2, "x", err) &&
          strstr(err, "x: the name of class 1 is empty"));
    CHECK(cnn_net_set_class_names(net, too_long, 2, "x", err) &&
          strstr(err, "class 0 is too long"));
    CHECK(cnn_net_set_class_names(net, three, 3, "x", err) &&
          strstr(err, "x: 3 class names for a network with 2 outputs"));
    CHECK_OK(cnn_net_set_class_names(net, good_names, 2, "x", err), err);
    CHECK(strcmp(net->class_names[1], "dog") == 0);
    cnn_net_free(net);
}

/* Sections missing, repeated, out of order, unknown or longer than the file. */
static void test_sections(const char *dir, const char *good)
{
    patched p;
    char err[CNN_ERR_LEN];
    start_patching(&p, good, dir, "sections.model");
    struct {
        const char *order, *why;
    } cases[] = {
        { "DESC PARM VELO STAT DATA", "the CLAS section is missing" },
        { "DESC PARM DATA CLAS", "the STAT section is missing" },
        { "PARM DESC STAT DATA CLAS", "the DESC section is missing" },
        { "DESC DESC PARM STAT DATA CLAS",
          "unexpected section \"DESC\" (unknown, repeated or out of order)" },
        { "DESC PARM STAT VELO DATA CLAS", "unexpected section \"VELO\"" },
        { "DESC PARM STAT DATA CLAS CLAS", "unexpected section \"CLAS\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rebuild(p.data, p.len, cases[i].order, p.path);
        expect_refused(p.path, cases[i].why);
    }
    /* the velocity may be left out */
    rebuild(p.data, p.len, "DESC PARM STAT DATA CLAS", p.path);
    cnn_train_state st;
    cnn_net *net = cnn_model_load(p.path, &st, err);
    if (!net) FAIL("%s", err);
    CHECK(st.velocity == NULL);
    cnn_net_free(net);
    /* version 3 had no AUGM section: it loads, without flip; a flip of 2 is refused */
    p.data[8] = 3;
    rebuild(p.data, p.len, "DESC PARM VELO STAT OPTM DATA CLAS", p.path);
    p.data[8] = 4;
    if (!(net = cnn_model_load(p.path, &st, err))) FAIL("a version-3 file: %s", err);
    CHECK_INT(st.flip, 0);
    CHECK_INT(st.resize, 0);
    free(st.velocity);
    free(st.moment2);
    cnn_net_free(net);
    long augm = payload(p.data, p.len, "AUGM");
    p.data[augm] = 2;
    expect_patch_refused(&p, "flip=2 is out of range (0 to 1)");
    p.data[augm] = 0;
    /* a tag this version does not know, and a length past the end */
    static image im;
    im.len = 0;
    add(&im, p.data, p.len - 4);
    add_section(&im, "ADAM", "x", 1);
    seal_and_write(&im, p.path);
    expect_refused(p.path, "unexpected section \"ADAM\"");
    im.len = 0;
    add(&im, p.data, p.len - 4);
    add(&im, "ADAM", 4);
    add_le(&im, 1u << 30, 8);
    seal_and_write(&im, p.path);
    expect_refused(p.path, "a section runs past the end of the file");
    free(p.data);
}

/* A batchnorm network's running statistics: kept exactly; refused when
 * missing, of the wrong size, not finite or a variance below 0. */
static void test_running_stats(const char *dir)
{
    char path[256], err[CNN_ERR_LEN];
    snprintf(path, sizeof path, "%s/norm.model", dir);
    cnn_net *net = cnn_net_parse("input channels=2 height=4 width=4\nconv filters=3 size=3\n"
                                 "batchnorm act=relu\ndense units=2\nloss softmax-cross-entropy\n",
                                 "norm", err);
    CHECK(net != NULL);
    cnn_rng rng = cnn_rng_seed(9);
    cnn_net_init(net, &rng);
    CHECK_INT(net->n_stats, 6);
    fill_uniform(net->stats, 6, 0.1f, 2.0f, &rng);
    CHECK_OK(cnn_model_save(path, net, NULL, err), err);
    cnn_net *back = cnn_model_load(path, NULL, err);
    if (!back) FAIL("%s", err);
    CHECK(memcmp(back->stats, net->stats, sizeof(float) * 6) == 0);
    cnn_net_free(back);
    cnn_net_free(net);

    patched p;
    start_patching(&p, path, dir, "norm-bad.model");
    rebuild(p.data, p.len, "DESC PARM STAT OPTM AUGM DATA CLAS", p.path);
    expect_refused(p.path, "the NORM section is missing (its batchnorm layers' statistics)");
    long norm = payload(p.data, p.len, "NORM");
    float keep;
    memcpy(&keep, p.data + norm + 4 * 4, 4);
    put_le(p.data + norm + 4 * 4, 0xbf800000u, 4); /* -1.0f */
    expect_patch_refused(&p, "layer 2 (batchnorm, line 3): a running variance is -1");
    put_le(p.data + norm, 0x7fc00000u, 4); /* NaN */
    expect_patch_refused(&p, "layer 2 (batchnorm, line 3): a running mean is nan");
    /* four bytes where 24 belong */
    static image im;
    section sec[16];
    int n = sections_of(p.data, p.len, sec);
    im.len = 0;
    add(&im, p.data, 12);
    for (int k = 0; k < n; k++)
        if (strcmp(sec[k].tag, "NORM")) add(&im, p.data + sec[k].at - 12, sec[k].len + 12);
        else add_section(&im, "NORM", "abcd", 4);
    seal_and_write(&im, p.path);
    expect_refused(p.path, "4 bytes of running statistics for a network that keeps 6 (24 bytes)");
    free(p.data);
}

/* A few hundred bytes that describe a network of 201 million parameters
 * (805 MB) with an empty parameter section: refused by comparing sizes,
 * before any of it is allocated. Address space is capped 256 MB above what
 * the process has, so an allocation first would fail with "out of memory". */
static void test_sizes_before_allocating(const char *dir)
{
    static const char huge[] = "input channels=1 height=8192 width=8192\n"
                               "dense units=3\nloss softmax-cross-entropy\n";
    char path[256];
    snprintf(path, sizeof path, "%s/huge.model", dir);
    static image im;
    add(&im, "CNNMODEL", 8);
    add_le(&im, 2, 4);
    add_section(&im, "DESC", huge, sizeof huge - 1);
    add_section(&im, "PARM", "", 0);
    seal_and_write(&im, path);
    CHECK(im.len < 200);

    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f && fscanf(f, "%ld", &pages) == 1);
    fclose(f);
    struct rlimit old, capped;
    CHECK(getrlimit(RLIMIT_AS, &old) == 0);
    capped = old;
    capped.rlim_cur = (rlim_t)pages * sysconf(_SC_PAGESIZE) + (256u << 20);
    CHECK(setrlimit(RLIMIT_AS, &capped) == 0);
    expect_refused(path, "0 bytes of parameters for a network of 201326595 parameters "
                         "(805306380 bytes)");
    CHECK(setrlimit(RLIMIT_AS, &old) == 0);
}

/* A version-1 file, written as the previous program did: it loads, with
 * the classes and the data selection marked as not recorded. */
static void test_version1(const char *dir)
{
    char err[CNN_ERR_LEN], path[256];
    snprintf(path, sizeof path, "%s/v1.model", dir);
    cnn_net *net = cnn_net_load("seed000", err);
    CHECK(net != NULL);
    cnn_rng rng = cnn_rng_seed(5);
    cnn_net_init(net, &rng);
    static image im;
    add(&im, "CNNMODEL", 8);
    add_le(&im, 1, 4);
    add_le(&im, strlen(net->text), 4);
    add(&im, net->text, (long)strlen(net->text));
    add_le(&im, net->n_params, 8);
    for (size_t i = 0; i < net->n_params; i++) add_float(&im, net->params[i]);
    add_le(&im, 1, 4); /* a velocity: every value 0.5 */
    for (size_t i = 0; i < net->n_params; i++) add_float(&im, 0.5f);
    add_le(&im, 3, 4); /* epoch 3 of 30, cosine, shift 1 */
    add_le(&im, 30, 4);
    add_le(&im, CNN_SCHEDULE_COSINE, 4);
    add_le(&im, 1, 4);
    add_le(&im, 12345, 8);
    add_float(&im, 0.1f);
    add_float(&im, 0.9f);
    add_float(&im, 5e-4f);
    add_le(&im, 64, 4);
    seal_and_write(&im, path);

    cnn_train_state st;
    cnn_net *back = cnn_model_load(path, &st, err);
    if (!back) FAIL("%s", err);
    CHECK(memcmp(back->params, net->params, sizeof(float) * net->n_params) == 0);
    CHECK(st.velocity && st.velocity[0] == 0.5f && st.velocity[net->n_params - 1] == 0.5f);
    CHECK_INT(st.epoch, 3);
    CHECK_INT(st.epochs, 30);
    CHECK_INT(st.shift, 1);
    CHECK_INT(st.batch, 64);
    CHECK(st.rng.s == 12345 && st.sgd.lr == 0.1f && st.sgd.momentum == 0.9f);
    CHECK_INT(st.limit, -1);
    CHECK_INT(st.select_classes, -1);
    CHECK_INT(back->class_names_guessed, 1);
    CHECK(strcmp(back->class_names[7], "7") == 0);
    free(st.velocity);
    cnn_net_free(back);
    cnn_net_free(net);
}

int main(void)
{
    char err[CNN_ERR_LEN], a[] = "/tmp/cnn-test-model-XXXXXX", path[128], path2[128];
    CHECK(mkdtemp(a) != NULL);
    snprintf(path, sizeof path, "%s/m.model", a);
    snprintf(path2, sizeof path2, "%s/again.model", a);
    const char *nets[] = { "seed000", "seed003", "lenet" };
    const char *names[10] = { "zero", "one", "two",   "three", "four",
                              "five", "six", "seven", "eight", "nine" };
    for (int k = 0; k < 3; k++) {
        cnn_net *net = cnn_net_load(nets[k], err);
        CHECK(net != NULL);
        CHECK(strcmp(net->class_names[9], "9") == 0); /* until named */
        CHECK_OK(cnn_net_set_class_names(net, names, 10, "test", err), err);
        cnn_rng rng = cnn_rng_seed(99 + k);
        cnn_net_init(net, &rng);
        float *velocity = malloc(sizeof(float) * net->n_params);
        float *moment2 = malloc(sizeof(float) * net->n_params);
        fill_uniform(velocity, net->n_params, -1, 1, &rng);
        fill_uniform(moment2, net->n_params, 0, 1, &rng);
        cnn_sgd adamw = { 0.05f, 0.999f, 5e-4f, 0.8f, 0.99f, 1e-6f, CNN_OPT_ADAMW, 2, 3, 0.5f };
        cnn_train_state st = { .epoch = 7,
                               .epochs = 12,
                               .schedule = CNN_SCHEDULE_COSINE,
                               .shift = 2,
                               .rng = rng,
                               .sgd = adamw,
                               .batch = 48,
                               .velocity = velocity,
                               .moment2 = moment2,
                               .steps = 123456789012,
                               .limit = 2000 + k,
                               .select_classes = 1 };
        CHECK_OK(cnn_model_save(path, net, &st, err), err);

        cnn_train_state got;
        cnn_net *back = cnn_model_load(path, &got, err);
        if (!back) FAIL("%s", err);
        CHECK(strcmp(back->text, net->text) == 0);
        CHECK_INT(back->n_params, net->n_params);
        CHECK(memcmp(back->params, net->params, sizeof(float) * net->n_params) == 0);
        CHECK(memcmp(got.velocity, velocity, sizeof(float) * net->n_params) == 0);
        CHECK(memcmp(got.moment2, moment2, sizeof(float) * net->n_params) == 0);
        CHECK(got.steps == 123456789012);
        CHECK(memcmp(&got.sgd, &adamw, sizeof adamw) == 0);
        CHECK_INT(got.epoch, 7);
        CHECK_INT(got.epochs, 12);
        CHECK_INT(got.schedule, CNN_SCHEDULE_COSINE);
        CHECK_INT(got.batch, 48);
        CHECK_INT(got.shift, 2);
        CHECK_INT(got.limit, 2000 + k);
        CHECK_INT(got.select_classes, 1);
        CHECK_INT(back->class_names_guessed, 0);
        for (int c = 0; c < 10; c++) CHECK(strcmp(back->class_names[c], names[c]) == 0);
        CHECK(got.rng.s == rng.s);
        CHECK(got.sgd.lr == 0.05f && got.sgd.momentum == 0.999f && got.sgd.weight_decay == 5e-4f);

        /* the same state writes the same bytes */
        CHECK_OK(cnn_model_save(path2, back, &got, err), err);
        unsigned char *x, *y;
        long nx, ny;
        read_all(path, &x, &nx);
        read_all(path2, &y, &ny);
        CHECK_INT(nx, ny);
        CHECK(memcmp(x, y, nx) == 0);
        free(x);
        free(y);
        free(got.velocity);
        free(velocity);
        free(got.moment2);
        free(moment2);
        cnn_net_free(back);
        cnn_net_free(net);
    }
    /* no temporary files are left behind */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 2", a);
    CHECK(system(cmd) == 0);

    /* a recipe that could not be read back is not written */
    cnn_net *net = cnn_net_load("seed000", err);
    cnn_train_state wrong = { .epochs = 5, .batch = 32, .sgd = { -0.1f, 0.9f, 0 } };
    CHECK(cnn_model_save(path2, net, &wrong, err) != 0);
    CHECK(strstr(err, "again.model: lr=-0.1 is out of range") != NULL);
    cnn_net_free(net);

    /* m.model is now lenet's; seed000's, with a velocity, for the crafted files */
    net = cnn_net_load("seed000", err);
    cnn_rng rng = cnn_rng_seed(3);
    cnn_net_init(net, &rng);
    float velocity[1138];
    fill_uniform(velocity, 1138, -1, 1, &rng);
    cnn_train_state st = { .epoch = 2,
                           .epochs = 30,
                           .schedule = CNN_SCHEDULE_COSINE,
                           .rng = rng,
                           .sgd = { 0.1f, 0.9f, 5e-4f, 0.9f, 0.999f, 1e-8f, CNN_OPT_SGD, 0, 30,
                                    0.1f },
                           .batch = 32,
                           .velocity = velocity };
    CHECK_INT(net->n_params, 1138);
    CHECK_OK(cnn_model_save(path, net, &st, err), err);
    cnn_net_free(net);

    test_damaged(a);
    test_nonfinite(a, path);
    test_stored_recipe(a, path);
    test_class_list(a, path);
    test_sections(a, path);
    test_running_stats(a);
    test_sizes_before_allocating(a);
    test_version1(a);
    snprintf(cmd, sizeof cmd, "rm -rf %s", a);
    CHECK(system(cmd) == 0);
    printf("model files: round trips exact for seed000, seed003, lenet; same state, "
           "same bytes; version 1 read; truncated, bit-flipped, wrong-magic, newer, "
           "big-endian, non-finite, out-of-range, misnamed, missing-section and "
           "oversized files refused; running statistics kept and checked\n");
    return 0;
}
