/* folders.c: a data set from class folders, DIR/<class>/..., the layout of
 * PyTorch's ImageFolder and Keras: the classes are the folder names in sorted
 * (byte) order, an image's label its class folder's place among them, and
 * every image below a class folder (at any depth) belongs to it, in sorted
 * order of its path. Files are decoded once, on all threads, each into its
 * own slot: the set does not depend on the thread count. */
#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "cnn.h"
#include "data/image.h"
#include "sys/blas_room.h"

#define MAX_DEPTH      64                  /* folders below a class folder */
#define MAX_FILE_BYTES ((size_t)256 << 20) /* one image file */
#define MAX_IMAGES     (1 << 30)

typedef struct {
    char **items;
    size_t n, cap;
} list;

static int list_add(list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    if (!(l->items[l->n] = strdup(s))) return -1;
    l->n++;
    return 0;
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int image_extension(const char *name)
{
    static const char *ext[] = { ".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm" };
    const char *dot = strrchr(name, '.');
    for (size_t k = 0; dot && k < sizeof ext / sizeof ext[0]; k++)
        if (!strcasecmp(dot, ext[k])) return 1;
    return 0;
}

/* The folders on the way down, to find a symlink that leads back up. */
typedef struct {
    dev_t dev[MAX_DEPTH + 2];
    ino_t ino[MAX_DEPTH + 2];
    int depth;
} trail;

/* Every image file below dir into files, other files into skipped. */
static int walk(list *files, list *skipped, const char *dir, trail *t, char *err)
{
    struct stat st;
    if (stat(dir, &st)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", dir, strerror(errno));
        return -1;
    }
    for (int k = 0; k < t->depth; k++)
        if (t->dev[k] == st.st_dev && t->ino[k] == st.st_ino) {
            snprintf(err, CNN_ERR_LEN,
                     "%s: a symlink cycle (it leads back to a folder "
                     "above it)",
                     dir);
            return -1;
        }
    if (t->depth > MAX_DEPTH) {
        snprintf(err, CNN_ERR_LEN, "%s: more than %d folders deep", dir, MAX_DEPTH);
        return -1;
    }
    t->dev[t->depth] = st.st_dev;
    t->ino[t->depth++] = st.st_ino;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", dir, strerror(errno));
        return -1;
    }
    list here = { 0 };
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) rc = list_add(&here, e->d_name);
    closedir(d);
    if (rc) snprintf(err, CNN_ERR_LEN, "%s: out of memory", dir);
    qsort(here.items, here.n, sizeof *here.items, by_name);
    for (size_t i = 0; rc == 0 && i < here.n; i++) {
        size_t len = strlen(dir) + strlen(here.items[i]) + 2;
        char *path = malloc(len);
        if (!path) {
            snprintf(err, CNN_ERR_LEN, "%s: out of memory", dir);
            rc = -1;
            break;
        }
        snprintf(path, len, "%s/%s", dir, here.items[i]);
        if (stat(path, &st)) {
            snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(files, skipped, path, t, err);
        } else if (list_add(S_ISREG(st.st_mode) && image_extension(path) ? files : skipped, path)) {
            snprintf(err, CNN_ERR_LEN, "%s: out of memory", dir);
            rc = -1;
        }
        free(path);
    }
    list_free(&here);
    t->depth--;
    return rc;
}

/* A whole file into memory (*len bytes). */
static uint8_t *read_file(const char *path, size_t *len, char *err)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
    } else if ((size_t)st.st_size > MAX_FILE_BYTES) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: %lld bytes, more than an image file may have (%zu "
                 "MiB)",
                 path, (long long)st.st_size, MAX_FILE_BYTES >> 20);
    } else if (!(data = malloc((size_t)st.st_size + 1))) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
    } else if ((*len = fread(data, 1, (size_t)st.st_size + 1, f)) != (size_t)st.st_size ||
               ferror(f)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path,
                 ferror(f) ? strerror(errno) : "changed size while being read");
        free(data);
        data = NULL;
    }
    if (f) fclose(f);
    return data;
}

int cnn_image_file_read(uint8_t *out, const cnn_image_spec *spec, const char *path,
                        unsigned *conversions, char *err)
{
    size_t len = 0;
    uint8_t *data = read_file(path, &len, err);
    int rc = data ? cnn_image_decode(out, spec, data, len, path, conversions, err) : -1;
    free(data);
    return rc;
}

int cnn_image_paths(const char *dir, char ***paths, size_t *n, char *err)
{
    list files = { 0 }, skipped = { 0 };
    trail t = { .depth = 0 };
    int rc = walk(&files, &skipped, dir, &t, err);
    list_free(&skipped);
    if (rc) {
        list_free(&files);
        return -1;
    }
    *paths = files.items;
    *n = files.n;
    return 0;
}

/* The first of the failures the threads met, by image: the same one whatever
 * the thread count. */
typedef struct {
    long index;
    char why[CNN_ERR_LEN];
} first_failure;

/* Decode files[0..n) into d's slots, labels already set. */
static int decode_all(cnn_dataset *d, const list *files, const cnn_image_spec *spec,
                      const char *dir, FILE *notes, unsigned *done, char *err)
{
    first_failure fail = { -1, "" };
    long finished = 0;
    double start = cnn_clock(), shown = 0;
    unsigned all = 0;
#pragma omp parallel reduction(| : all)
    {
        char why[CNN_ERR_LEN];
#pragma omp for schedule(dynamic, 16)
        for (long i = 0; i < (long)files->n; i++) {
            int bad = cnn_image_file_read(d->pixels + (size_t)i * d->image_size, spec,
                                          files->items[i], &all, why);
#pragma omp critical(first_failure)
            if (bad && (fail.index < 0 || i < fail.index)) {
                fail.index = i;
                snprintf(fail.why, sizeof fail.why, "%s", why);
            }
#pragma omp atomic
            finished++;
            double now = cnn_clock();
            if (notes && omp_get_thread_num() == 0 && now - start > 1 && now - shown > 0.5) {
                long seen;
#pragma omp atomic read
                seen = finished;
                fprintf(notes, "\rreading %s: %ld of %zu images", dir, seen, files->n);
                fflush(notes);
                shown = now;
            }
        }
    }
    if (notes && shown > 0)
        fprintf(notes, "\rreading %s: %zu images in %.1fs\n", dir, files->n, cnn_clock() - start);
    *done |= all;
    if (fail.index >= 0) {
        snprintf(err, CNN_ERR_LEN, "%s", fail.why);
        return -1;
    }
    return 0;
}

/* One line naming what is not an image, the first few of them. */
static void note_skipped(FILE *notes, const list *skipped)
{
    if (!notes || !skipped->n) return;
    fprintf(notes, "warning: skipped %zu file%s that %s not images:", skipped->n,
            skipped->n == 1 ? "" : "s", skipped->n == 1 ? "is" : "are");
    for (size_t i = 0; i < skipped->n && i < 5; i++) fprintf(notes, " %s", skipped->items[i]);
    fprintf(notes, "%s\n", skipped->n > 5 ? " ..." : "");
}

int cnn_dataset_load_folders(cnn_dataset *d, const char *dir, const cnn_image_spec *spec,
                             FILE *notes, char *err)
{
    const cnn_shape *shape = &spec->shape;
    list classes = { 0 }, files = { 0 }, skipped = { 0 };
    int rc = -1, *first = NULL; /* first[k]: the first file of class k */
    memset(d, 0, sizeof *d);
    snprintf(d->images_path, sizeof d->images_path, "%s", dir);
    snprintf(d->labels_path, sizeof d->labels_path, "%s", dir);
    DIR *top = opendir(dir);
    if (!top) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int ok = 1;
    for (struct dirent *e; ok && (e = readdir(top));) {
        struct stat st;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            ok = 0;
            break;
        }
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            ok = !(stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? list_add(&classes, e->d_name)
                                                               : list_add(&skipped, path));
        free(path);
    }
    closedir(top);
    if (!ok) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", dir);
        goto done;
    }
    if (classes.n < 1 || classes.n > 256) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: %zu class folders; 1 to 256 are read (%s/<class>/"
                 "IMAGE.png)",
                 dir, classes.n, dir);
        goto done;
    }
    qsort(classes.items, classes.n, sizeof *classes.items, by_name);
    if (!(first = calloc(classes.n + 1, sizeof *first))) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", dir);
        goto done;
    }
    for (size_t k = 0; k < classes.n; k++) {
        char path[4096];
        trail t = { .depth = 0 };
        if (snprintf(path, sizeof path, "%s/%s", dir, classes.items[k]) >= (int)sizeof path) {
            snprintf(err, CNN_ERR_LEN, "%.200s: a class folder's path is longer than %zu bytes",
                     dir, sizeof path - 1);
            goto done;
        }
        first[k] = (int)files.n;
        if (walk(&files, &skipped, path, &t, err)) goto done;
        if (files.n == (size_t)first[k]) {
            snprintf(err, CNN_ERR_LEN,
                     "%.400s: no images in this class folder (PNG, JPEG, PGM "
                     "or PPM)",
                     path);
            goto done;
        }
        if (files.n > MAX_IMAGES) {
            snprintf(err, CNN_ERR_LEN, "%s: more than %d images", dir, MAX_IMAGES);
            goto done;
        }
    }
    first[classes.n] = (int)files.n;
    note_skipped(notes, &skipped);

    d->count = (int)files.n;
    d->channels = shape->c;
    d->height = shape->h;
    d->width = shape->w;
    d->image_size = cnn_shape_size(*shape);
    size_t bytes = files.n * d->image_size;
    if (address_space_room(bytes + files.n)) {
        char limits[128];
        describe_memory_limits(limits, sizeof limits);
        snprintf(err, CNN_ERR_LEN,
                 "%s: out of memory: %zu images of %dx%dx%d need %zu MiB, "
                 "more than %s leaves free",
                 dir, files.n, shape->h, shape->w, shape->c, (bytes >> 20) + 1, limits);
        goto done;
    }
    d->pixels = malloc(bytes);
    d->labels = malloc(files.n);
    d->class_names = calloc(classes.n, sizeof *d->class_names);
    if (!d->pixels || !d->labels || !d->class_names) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory for %zu images", dir, files.n);
        goto done;
    }
    d->n_classes = (int)classes.n;
    for (size_t k = 0; k < classes.n; k++) {
        d->class_names[k] = classes.items[k]; /* the list's strings move over */
        classes.items[k] = NULL;
        for (int i = first[k]; i < first[k + 1]; i++) d->labels[i] = (uint8_t)k;
    }
    unsigned done_conv = 0;
    if (decode_all(d, &files, spec, dir, notes, &done_conv, err)) goto done;
    if (notes && done_conv) {
        char what[256];
        image_describe_conversions(what, sizeof what, done_conv);
        fprintf(notes, "%s: %s\n", dir, what);
    }
    rc = 0;
done:
    if (rc) cnn_dataset_free(d);
    free(first);
    list_free(&classes);
    list_free(&files);
    list_free(&skipped);
    return rc;
}
