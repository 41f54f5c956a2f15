/* predict_cmd.c: cnn predict. The class and its probabilities for each image,
 * given as PGM files or IDX image files (every image in them). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "pgm.h"

static const char *USAGE =
    "cnn predict --model MODEL [--all | --probs] IMAGE.pgm|IMAGES.idx[.gz]...";

/* How much of the outputs a line shows. */
typedef enum { SHOW_BEST, SHOW_ALL, SHOW_EXACT } detail;

/* The images of one file as a data set (a PGM is a set of one, *pgm set).
 * The file is read once, front to back, so a pipe or /dev/stdin works: its
 * kind comes from a first byte read and put back. */
static int read_images(const char *path, const cnn_net *net, cnn_dataset *d, int *pgm,
                       char *err)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    int first = fgetc(f), rc;
    *pgm = first == 'P';
    if (first != EOF) ungetc(first, f);
    if (!*pgm) {
        rc = cnn_idx_read_images_from(d, f, path, err);
    } else {
        int w, h;
        float *px;
        rc = pgm_read(f, path, &px, &w, &h, err);
        if (rc == 0) {
            *d = (cnn_dataset){ .count = 1, .channels = 1, .height = h, .width = w,
                                .image_size = (size_t)w * h, .images = px };
            snprintf(d->images_path, sizeof d->images_path, "%s", path);
        }
    }
    fclose(f);
    return rc ? -1 : check_data_fits(d, net, err);
}

/* FILE[index]: CLASS (p=...), the class by its name ("7", or "cat"). */
static void print_prediction(const char *file, int index, const float *p,
                             const cnn_net *net, detail show)
{
    int best = 0, k = net->classes;
    for (int j = 1; j < k; j++)
        if (p[j] > p[best]) best = j;
    if (index >= 0) printf("%s[%d]: %s", file, index, net->class_names[best]);
    else printf("%s: %s", file, net->class_names[best]);
    if (show == SHOW_EXACT) {   /* %.9g: enough digits to give back the same float */
        for (int j = 0; j < k; j++) printf(" %.9g", p[j]);
        putchar('\n');
        return;
    }
    printf(" (p=%.4f)", p[best]);
    if (show == SHOW_ALL) {
        printf("  probabilities:");
        for (int j = 0; j < k; j++) printf(" %s:%.4f", net->class_names[j], p[j]);
    }
    putchar('\n');
}

int cmd_predict(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' }, { "all", no_argument, 0, 'a' },
        { "probs", no_argument, 0, 'p' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *model = NULL;
    detail show = SHOW_BEST;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'a': show = SHOW_ALL; break;
        case 'p': show = SHOW_EXACT; break;
        case 'h':
            printf("usage: %s\n\nPrints FILE: CLASS (p=PROBABILITY) per image (FILE[i] for "
                   "the images of an IDX file);\n--all adds every class's probability; "
                   "--probs prints FILE: CLASS and every\nclass's probability to full float "
                   "precision (%%.9g), for scripts.\n", USAGE);
            return EXIT_OK;
        default:
            return option_error("predict", argv[optind - 1]);
        }
    }
    if (!model || optind == argc) return usage_error("predict", USAGE);

    char err[CNN_ERR_LEN] = "out of memory";
    cnn_trainer *t = NULL;
    float *out = NULL;
    int status = EXIT_FAIL;
    cnn_net *net = cnn_model_load(model, NULL, err);
    if (!net || !(out = malloc(sizeof(float) * 256 * net->classes))) goto fail;
    for (int a = optind; a < argc; a++) {
        cnn_dataset d;
        int pgm;
        /* the workspaces are sized by the network's input: allocated once an
         * image of that size is there, not for any model that claims it */
        if (read_images(argv[a], net, &d, &pgm, err) ||
            (!t && !(t = cnn_trainer_new(net, 256, 0, err)))) {
            cnn_dataset_free(&d);
            goto fail;
        }
        for (int first = 0; first < d.count; first += 256) {
            int n = d.count - first < 256 ? d.count - first : 256;
            cnn_infer(t, d.images + (size_t)first * d.image_size, NULL, n, out, NULL);
            for (int i = 0; i < n; i++)
                print_prediction(argv[a], pgm ? -1 : first + i,
                                 out + (size_t)i * net->classes, net, show);
        }
        cnn_dataset_free(&d);
    }
    status = EXIT_OK;
    goto done;
fail:
    cli_error(EXIT_FAIL, "predict", "%s", err);
done:
    free(out);
    cnn_trainer_free(t);
    cnn_net_free(net);
    return status;
}
