/* predict_cmd.c: cnn predict. The class and its probabilities for each image,
 * given as PNG, JPEG, PGM or PPM files, folders of them (every image below,
 * in sorted order) or IDX image files (every image in them). A bad input is
 * named and skipped; the exit status is then 1. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"

#define MAX_IMAGE_BYTES ((size_t)256 << 20)

static const char *USAGE =
    "cnn predict --model MODEL [--all | --probs | --top K] [--class-names FILE] "
    "IMAGE|FOLDER|IDX|-...";

/* How much of the outputs a line shows. */
typedef enum { SHOW_TOP, SHOW_ALL, SHOW_EXACT } detail;

/* The rest of f, whose first byte `first` was read, into memory. */
static uint8_t *read_rest(FILE *f, int first, const char *name, size_t *len, char *err)
{
    size_t cap = 1 << 16;
    uint8_t *data = malloc(cap);
    *len = 0;
    if (data) data[(*len)++] = (uint8_t)first;
    while (data) {
        if (*len == cap) {
            uint8_t *more = cap < MAX_IMAGE_BYTES ? realloc(data, 2 * cap) : NULL;
            if (!more) {
                snprintf(err, CNN_ERR_LEN, "%s: %s", name,
                         cap < MAX_IMAGE_BYTES ? "out of memory"
                                               : "larger than an image file may be (256 MiB)");
                free(data);
                return NULL;
            }
            data = more;
            cap *= 2;
        }
        *len += fread(data + *len, 1, cap - *len, f);
        if (ferror(f)) {
            snprintf(err, CNN_ERR_LEN, "%s: %s", name, strerror(errno));
            free(data);
            return NULL;
        }
        if (feof(f)) return data;
    }
    snprintf(err, CNN_ERR_LEN, "%s: out of memory", name);
    return NULL;
}

/* The images of one input as a data set (an image file is a set of one,
 * *single set). The input is read once, front to back, so a pipe or "-"
 * (standard input) works: its kind comes from its first byte (0x89 PNG, 0xff
 * JPEG, 'P' PGM/PPM; IDX starts with 0, gzip with 0x1f). */
static int read_images(const char *path, const cnn_net *net, const cnn_image_spec *spec,
                       cnn_dataset *d, int *single, char *err)
{
    memset(d, 0, sizeof *d);
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    int first = fgetc(f), rc = -1;
    *single = first == 0x89 || first == 0xff || first == 'P';
    if (!*single) {
        if (first != EOF) ungetc(first, f);
        rc = cnn_idx_read_images_from(d, f, path, err) || cnn_dataset_resize(d, spec, err);
    } else {
        size_t len, size = cnn_shape_size(net->input);
        unsigned conversions = 0;
        uint8_t *data = read_rest(f, first, path, &len, err);
        *d = (cnn_dataset){ .count = 1,
                            .channels = net->input.c,
                            .height = net->input.h,
                            .width = net->input.w,
                            .image_size = size,
                            .pixels = malloc(size) };
        snprintf(d->images_path, sizeof d->images_path, "%s", path);
        if (data && !d->pixels) snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        if (data && d->pixels)
            rc = cnn_image_decode(d->pixels, spec, data, len, path, &conversions, err);
        free(data);
    }
    if (f != stdin) fclose(f);
    return rc ? -1 : check_data_fits(d, net, err);
}

/* FILE[index]: CLASS (p=...), the classes by their names ("7", or "cat"):
 * the top `top` of them, all, or every probability exactly. */
static void print_prediction(const char *file, int index, const float *p, const cnn_net *net,
                             detail show, int top)
{
    int order[256], k = net->classes;
    for (int j = 0; j < k; j++) order[j] = j;
    for (int a = 0; a < k && a < top; a++) /* the top ones, ties to the lower class */
        for (int b = a + 1; b < k; b++)
            if (p[order[b]] > p[order[a]] || (p[order[b]] == p[order[a]] && order[b] < order[a])) {
                int swap = order[a];
                order[a] = order[b];
                order[b] = swap;
            }
    if (index >= 0) printf("%s[%d]: %s", file, index, net->class_names[order[0]]);
    else printf("%s: %s", file, net->class_names[order[0]]);
    if (show == SHOW_EXACT) { /* %.9g: enough digits to give back the same float */
        for (int j = 0; j < k; j++) printf(" %.9g", p[j]);
        putchar('\n');
        return;
    }
    printf(" (p=%.4f)", p[order[0]]);
    for (int a = 1; show == SHOW_TOP && a < top && a < k; a++)
        printf(", %s (p=%.4f)", net->class_names[order[a]], p[order[a]]);
    if (show == SHOW_ALL) {
        printf("  probabilities:");
        for (int j = 0; j < k; j++) printf(" %s:%.4f", net->class_names[j], p[j]);
    }
    putchar('\n');
}

/* What to predict, the arguments with each folder replaced by the images
 * below it; a folder that cannot be read is reported and left out (*bad). */
static char **expand_inputs(char **args, int n, size_t *count, int *bad)
{
    char **all = NULL;
    size_t have = 0;
    for (int a = 0; a < n; a++) {
        struct stat st;
        char **paths = NULL, err[CNN_ERR_LEN];
        size_t found = 1;
        if (strcmp(args[a], "-") && stat(args[a], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (cnn_image_paths(args[a], &paths, &found, err)) {
                cli_error(EXIT_FAIL, "predict", "%s", err);
                *bad = 1;
                continue;
            }
            if (!found) {
                cli_error(EXIT_FAIL, "predict",
                          "%s: no images (PNG, JPEG, PGM or PPM) in "
                          "this folder",
                          args[a]);
                *bad = 1;
            }
        }
        char **grown = realloc(all, sizeof *all * (have + found + 1));
        if (!grown) {
            free(paths);
            break;
        }
        all = grown;
        for (size_t i = 0; paths && i < found; i++) all[have++] = paths[i];
        free(paths);
        if (!paths && !(all[have] = strdup(args[a]))) break;
        have += !paths;
    }
    *count = have;
    return all;
}

int cmd_predict(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "all", no_argument, 0, 'a' },
        { "probs", no_argument, 0, 'p' },
        { "top", required_argument, 0, 'k' },
        { "class-names", required_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *class_names = NULL;
    detail show = SHOW_TOP;
    int c, top = 1, shows = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'n': class_names = optarg; break;
        case 'a':
            show = SHOW_ALL;
            shows++;
            break;
        case 'p':
            show = SHOW_EXACT;
            shows++;
            break;
        case 'k':
            if (opt_int("predict", "top", optarg, 1, 256, &top)) return EXIT_USAGE;
            shows++;
            break;
        case 'h':
            printf("usage: %s\n\nPrints FILE: CLASS (p=PROBABILITY) per image (FILE[i] for "
                   "the images of an IDX file)\nfor PNG, JPEG, PGM and PPM files, every image "
                   "below a folder, IDX files and\n- (standard input). --top K adds the next "
                   "K-1 classes and their probabilities;\n--all every class's probability; "
                   "--probs prints FILE: CLASS and every class's\nprobability to full float "
                   "precision (%%.9g), for scripts. --class-names FILE names the classes of a\n"
                   "model trained on IDX labels without names (line k of FILE names label k). "
                   "A\nbad input is named and skipped; the exit status is then 1.\n",
                   USAGE);
            return EXIT_OK;
        default: return option_error("predict", argv[optind - 1]);
        }
    }
    if (!model || optind == argc || shows > 1) return usage_error("predict", USAGE);

    char err[CNN_ERR_LEN] = "out of memory";
    cnn_trainer *t = NULL;
    float *out = NULL, *x = NULL; /* x (256, input): a batch as the network sees it */
    char **inputs = NULL;
    size_t n_inputs = 0;
    int status = EXIT_FAIL, bad = 0;
    cnn_image_spec spec;
    cnn_net *net = load_model_reading(model, class_names, &spec, err);
    if (!net || !(out = malloc(sizeof(float) * 256 * net->classes))) goto fail;
    inputs = expand_inputs(argv + optind, argc - optind, &n_inputs, &bad);
    if (!inputs) goto fail;
    for (size_t a = 0; a < n_inputs; a++) {
        cnn_dataset d;
        int single;
        if (read_images(inputs[a], net, &spec, &d, &single, err)) {
            cnn_dataset_free(&d);
            cli_error(EXIT_FAIL, "predict", "%s", err);
            bad = 1;
            continue;
        }
        /* the workspaces are sized by the network's input: allocated once an
         * image of that size is there, not for any model that claims it */
        if (!t && (!(t = cnn_trainer_new(net, 256, 0, err)) ||
                   !(x = malloc(sizeof(float) * 256 * d.image_size)))) {
            cnn_dataset_free(&d);
            goto fail;
        }
        for (int first = 0; first < d.count; first += 256) {
            int n = d.count - first < 256 ? d.count - first : 256;
            cnn_dataset_images(&d, first, n, x);
            cnn_infer(t, x, NULL, n, out, NULL);
            for (int i = 0; i < n; i++)
                print_prediction(inputs[a], single ? -1 : first + i, out + (size_t)i * net->classes,
                                 net, show, top);
        }
        cnn_dataset_free(&d);
    }
    status = bad ? EXIT_FAIL : EXIT_OK;
    goto done;
fail:
    cli_error(EXIT_FAIL, "predict", "%s", err);
done:
    for (size_t a = 0; a < n_inputs; a++) free(inputs[a]);
    free(inputs);
    free(out);
    free(x);
    cnn_trainer_free(t);
    cnn_net_free(net);
    return status;
}
