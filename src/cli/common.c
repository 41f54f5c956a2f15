/* common.c: helpers shared by the cnn commands. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common.h"

int cli_error(int status, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cnn %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

int usage_error(const char *cmd, const char *usage)
{
    return cli_error(EXIT_USAGE, cmd, "usage: %s (see 'cnn %s --help')", usage, cmd);
}

int option_error(const char *cmd, const char *arg)
{
    if (optopt && !strncmp(arg, "--", 2))
        return cli_error(EXIT_USAGE, cmd, "option '%s' needs a value (see 'cnn %s --help')", arg,
                         cmd);
    return cli_error(EXIT_USAGE, cmd, "unknown option '%s' (see 'cnn %s --help')", arg, cmd);
}

/* The one number syntax of every option: an optional '-', then digits only
 * (no spaces, no '+', nothing after). 0, -1 not a number, -2 beyond *v. */
static int whole_number(const char *s, int *negative, unsigned long long *v)
{
    *negative = *s == '-';
    s += *negative;
    if (!isdigit((unsigned char)*s)) return -1;
    int overflow = 0;
    for (*v = 0; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*v > (ULLONG_MAX - d) / 10) overflow = 1;
        *v = *v * 10 + d;
    }
    if (*s) return -1;
    return overflow ? -2 : 0;
}

/* Decimal notation only: -0.5, 5e-4, .1 (no hex, inf, nan, spaces, '+'). */
static int decimal_syntax(const char *s)
{
    s += *s == '-';
    size_t digits = strspn(s, "0123456789");
    s += digits;
    if (*s == '.') {
        size_t frac = strspn(s + 1, "0123456789");
        digits += frac;
        s += 1 + frac;
    }
    if (!digits) return -1;
    if (*s == 'e' || *s == 'E') {
        s += 1 + (s[1] == '-' || s[1] == '+');
        if (!isdigit((unsigned char)*s)) return -1;
        s += strspn(s, "0123456789");
    }
    return *s ? -1 : 0;
}

static int number_error(const char *cmd, const char *name, const char *value, const char *what)
{
    cli_error(EXIT_USAGE, cmd, "--%s %s: %s", name, value, what);
    return -1;
}

int opt_int(const char *cmd, const char *name, const char *value, long lo, long hi, int *out)
{
    int negative;
    unsigned long long v;
    int rc = whole_number(value, &negative, &v);
    if (rc == -1) return number_error(cmd, name, value, "not a whole number");
    if (rc == 0 && v <= (unsigned long long)LLONG_MAX) {
        long long x = negative ? -(long long)v : (long long)v;
        if (x >= lo && x <= hi) {
            *out = (int)x;
            return 0;
        }
    }
    cli_error(EXIT_USAGE, cmd, "--%s %s: out of range (%ld to %ld)", name, value, lo, hi);
    return -1;
}

int opt_seed(const char *cmd, const char *name, const char *value, unsigned long long *out)
{
    int negative;
    int rc = whole_number(value, &negative, out);
    if (rc == -1) return number_error(cmd, name, value, "not a whole number");
    if (rc || negative)
        return number_error(cmd, name, value, "out of range (0 to 18446744073709551615)");
    return 0;
}

int opt_float(const char *cmd, const char *name, const char *value, double lo, double hi,
              float *out)
{
    if (decimal_syntax(value)) return number_error(cmd, name, value, "not a number");
    double v = strtod(value, NULL);
    if (!(v >= lo && v <= hi)) {
        cli_error(EXIT_USAGE, cmd, "--%s %s: out of range (%g to %g)", name, value, lo, hi);
        return -1;
    }
    *out = (float)v;
    return 0;
}

/* dir/part-kind or dir/part-kind.gz. When both are there they may differ
 * (a stale copy beside a fresh download) and neither choice is safe, so the
 * user picks; comparing them would mean reading both on every run. */
static int find_file(char *path, size_t len, const char *dir, const char *part, const char *kind,
                     char *err)
{
    char plain[4096], gz[4096];
    struct stat st;
    snprintf(plain, sizeof plain, "%s/%s-%s", dir, part, kind);
    snprintf(gz, sizeof gz, "%s/%s-%s.gz", dir, part, kind);
    int has_plain = stat(plain, &st) == 0, has_gz = stat(gz, &st) == 0;
    if (has_plain && has_gz) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: both %s-%s and %s-%s.gz are there and may differ; "
                 "remove one",
                 dir, part, kind, part, kind);
        return -1;
    }
    snprintf(path, len, "%s", has_plain ? plain : gz); /* neither: the usual name */
    return 0;
}

int data_files(const char *dir, const char *part, char *images, char *labels, size_t len, char *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", dir,
                 stat(dir, &st) ? strerror(errno) : "not a folder");
        return -1;
    }
    return find_file(images, len, dir, part, "images-idx3-ubyte", err) ||
                   find_file(labels, len, dir, part, "labels-idx1-ubyte", err)
               ? -1
               : 0;
}

int load_part(cnn_dataset *d, const char *dir, const char *part, char *err)
{
    char images[4096], labels[4096];
    if (data_files(dir, part, images, labels, sizeof images, err)) return -1;
    return cnn_dataset_load(d, images, labels, err);
}

static int is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

data_layout data_layout_of(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/train", dir);
    if (is_folder(path)) return LAYOUT_FOLDERS;
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    int batch = exists(path);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    return batch || exists(path) ? LAYOUT_CIFAR : LAYOUT_IDX;
}

/* CIFAR-10's training files data_batch_1.bin, _2, ... (as many as follow
 * one another) or its test_batch.bin. */
static int load_cifar_part(cnn_dataset *d, const char *dir, int test, const cnn_image_spec *spec,
                           char *err)
{
    char names[16][4096], meta[4096];
    const char *files[16];
    int n = 0;
    if (test) snprintf(names[n++], sizeof names[0], "%s/test_batch.bin", dir);
    for (; !test && n < 16; n++) {
        snprintf(names[n], sizeof names[0], "%s/data_batch_%d.bin", dir, n + 1);
        if (!exists(names[n])) break;
    }
    if (!test && n == 0) n = 1; /* the missing first file is the error */
    for (int i = 0; i < n; i++) files[i] = names[i];
    snprintf(meta, sizeof meta, "%s/batches.meta.txt", dir);
    return cnn_dataset_load_cifar(d, files, n, meta, spec, err);
}

int load_any_part(cnn_dataset *d, const char *dir, int test, const cnn_image_spec *spec,
                  FILE *notes, char *err)
{
    char path[4096];
    switch (data_layout_of(dir)) {
    case LAYOUT_FOLDERS:
        snprintf(path, sizeof path, "%s/%s", dir, test ? "test" : "train");
        return cnn_dataset_load_folders(d, path, spec, notes, err);
    case LAYOUT_CIFAR: return load_cifar_part(d, dir, test, spec, err);
    case LAYOUT_IDX:
        return load_part(d, dir, test ? "t10k" : "train", err) || cnn_dataset_resize(d, spec, err)
                   ? -1
                   : 0;
    }
    return -1;
}

int labels_by_name(cnn_dataset *d, const cnn_net *net, char *err)
{
    int to[256];
    if (!d->class_names) return 0;
    for (int k = 0; k < d->n_classes; k++) {
        to[k] = -1;
        for (int j = 0; j < net->classes; j++)
            if (!strcmp(d->class_names[k], net->class_names[j])) to[k] = j;
        if (to[k] < 0) {
            char list[128];
            format_classes(list, sizeof list, net);
            snprintf(err, CNN_ERR_LEN, "%s: class '%s' is not one of the network's (%s)",
                     d->labels_path, d->class_names[k], list);
            return -1;
        }
    }
    for (int i = 0; i < d->count; i++) d->labels[i] = (uint8_t)to[d->labels[i]];
    /* the labels are the network's now; the data's own order of names goes */
    for (int k = 0; k < d->n_classes; k++) free(d->class_names[k]);
    free(d->class_names);
    d->class_names = NULL;
    d->n_classes = 0;
    return 0;
}

int name_idx_classes(cnn_net *net, const char *file, const int *keep, int n_keep, char *err)
{
    char *names[256];
    const char *name_of[256];
    int labels[256], n, rc = 0;
    if (cnn_class_names_read(file, names, 256, &n, err)) return -1;
    if (!n_keep && n != net->classes) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: %d class names for a network with %d outputs (one a "
                 "line, label 0 first)",
                 file, n, net->classes);
        rc = -1;
    }
    for (int k = 0; !rc && k < net->classes; k++) {
        labels[k] = n_keep ? keep[k] : k;
        if (labels[k] >= n) {
            snprintf(err, CNN_ERR_LEN, "%s: %d class names, none for label %d", file, n, labels[k]);
            rc = -1;
            break;
        }
        name_of[k] = names[labels[k]];
    }
    rc = rc || cnn_net_set_class_names(net, name_of, net->classes, file, err) ||
         cnn_net_set_class_labels(net, labels, net->classes, file, err);
    for (int k = 0; k < n; k++) free(names[k]);
    return rc ? -1 : 0;
}

cnn_net *load_model_reading(const char *model, const char *class_names, cnn_image_spec *spec,
                            char *err)
{
    cnn_train_state st;
    int keep[256], n_keep;
    cnn_net *net = cnn_model_load(model, &st, err);
    if (!net) return NULL;
    *spec = (cnn_image_spec){ net->input, st.resize };
    free(st.velocity);
    free(st.moment2);
    if (class_names && net->class_labels) {
        char list[128];
        format_classes(list, sizeof list, net);
        snprintf(err, CNN_ERR_LEN, "--class-names: %s names its classes already (%s)", model, list);
        goto fail;
    }
    if (class_names && (model_classes(net, model, NULL, keep, &n_keep, err) ||
                        name_idx_classes(net, class_names, keep, n_keep, err)))
        goto fail;
    return net;
fail:
    cnn_net_free(net);
    return NULL;
}

int check_images_fit(const cnn_dataset *d, const cnn_net *net, char *err)
{
    if (d->channels != net->input.c || d->height != net->input.h || d->width != net->input.w) {
        snprintf(err, CNN_ERR_LEN, "%s: images are %dx%dx%d but the network takes %dx%dx%d",
                 d->images_path, d->height, d->width, d->channels, net->input.h, net->input.w,
                 net->input.c);
        return -1;
    }
    return 0;
}

int check_data_fits(const cnn_dataset *d, const cnn_net *net, char *err)
{
    if (check_images_fit(d, net, err)) return -1;
    for (int i = 0; d->labels && i < d->count; i++)
        if (d->labels[i] >= net->classes) {
            snprintf(err, CNN_ERR_LEN,
                     "%s: label %d of image %d is out of range for a "
                     "network with %d classes%s",
                     d->labels_path, d->labels[i], i, net->classes,
                     net->classes == 2 ? " (pick two with --classes A,B)" : "");
            return -1;
        }
    return 0;
}

int parse_classes(const char *s, int *keep, int *n_keep, char *err)
{
    *n_keep = 0;
    for (const char *item = s;; item++) {
        char one[8];
        size_t len = strcspn(item, ",");
        int negative;
        unsigned long long v;
        snprintf(one, sizeof one, "%.*s", (int)(len < 7 ? len : 7), item);
        if (len > 3 || whole_number(one, &negative, &v) || negative || v > 255 || *n_keep == 256) {
            snprintf(err, CNN_ERR_LEN,
                     "--classes %s: expected labels 0-255 separated by "
                     "commas, as in 0,1",
                     s);
            return -1;
        }
        for (int k = 0; k < *n_keep; k++)
            if (keep[k] == (int)v) {
                snprintf(err, CNN_ERR_LEN, "--classes %s: %llu is listed twice", s, v);
                return -1;
            }
        keep[(*n_keep)++] = (int)v;
        item += len;
        if (!*item) break;
    }
    if (*n_keep < 2) {
        snprintf(err, CNN_ERR_LEN, "--classes %s: list at least two labels", s);
        return -1;
    }
    return 0;
}

/* --classes with one label per output of the network. */
static int parse_classes_for(const cnn_net *net, const char *what, const char *classes, int *keep,
                             int *n_keep, char *err)
{
    if (parse_classes(classes, keep, n_keep, err)) return -1;
    if (*n_keep != net->classes) {
        snprintf(err, CNN_ERR_LEN, "--classes lists %d labels but %s has %d classes", *n_keep, what,
                 net->classes);
        return -1;
    }
    return 0;
}

int classes_for_training(cnn_net *net, const char *what, const char *classes, int *keep,
                         int *n_keep, char *err)
{
    char names[256][12];
    const char *name_of[256];
    if (parse_classes_for(net, what, classes, keep, n_keep, err)) return -1;
    for (int k = 0; k < *n_keep; k++) {
        snprintf(names[k], sizeof names[k], "%d", keep[k]);
        name_of[k] = names[k];
    }
    return cnn_net_set_class_names(net, name_of, *n_keep, "--classes", err);
}

int model_classes(const cnn_net *net, const char *model, const char *classes, int *keep,
                  int *n_keep, char *err)
{
    *n_keep = 0;
    if (net->class_names_guessed)
        return classes ? parse_classes_for(net, model, classes, keep, n_keep, err) : 0;
    /* IDX labels are recorded beside the names a run gave them, or are the
     * names, in decimal: "7" */
    for (int k = 0; net->class_labels && k < net->classes; k++) keep[k] = net->class_labels[k];
    for (int k = 0; !net->class_labels && k < net->classes; k++) {
        const char *name = net->class_names[k];
        size_t len = strlen(name);
        if (len > 3 || strspn(name, "0123456789") != len || (name[0] == '0' && len > 1) ||
            atoi(name) > 255) {
            snprintf(err, CNN_ERR_LEN,
                     "%s: class '%s' is not an IDX label (0 to 255): the "
                     "model was trained on other data",
                     model, name);
            return -1;
        }
        keep[k] = atoi(name);
    }
    *n_keep = net->classes;
    int given[256], n_given;
    if (!classes) return 0;
    if (parse_classes(classes, given, &n_given, err)) return -1;
    if (n_given != *n_keep || memcmp(given, keep, sizeof(int) * n_given)) {
        char list[128];
        format_classes(list, sizeof list, net);
        snprintf(err, CNN_ERR_LEN,
                 "--classes %s contradicts %s, whose classes are %s "
                 "(drop --classes: the model's are used)",
                 classes, model, list);
        return -1;
    }
    return 0;
}

void format_classes(char *buf, size_t len, const cnn_net *net)
{
    size_t at = 0;
    buf[0] = 0;
    for (int k = 0; k < net->classes && at < len; k++) {
        int n = snprintf(buf + at, len - at, "%s%s", k ? "," : "", net->class_names[k]);
        if (n < 0 || (size_t)n >= len - at) {
            snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
            return;
        }
        at += (size_t)n;
    }
}
