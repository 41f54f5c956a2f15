/* show_cmd.c: cnn show. Pictures of what a model learned: the first
 * convolution's kernels, or one digit beside its first-layer feature maps,
 * written as PGM images (scaled up, mid-grey gaps between tiles). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "outputs.h"
#include "pgm.h"

static const char *USAGE =
    "cnn show --model MODEL (--kernels OUT.pgm | --maps OUT.pgm --data DIR [--index N])";

#define GAP 2
#define GREY 128

typedef struct {
    uint8_t *px;
    int w, h;
} canvas;

/* Draw a w x h plane at (x0, y0), each value a scale x scale block, mapping
 * [lo, hi] to black..white. */
static void blit(canvas *c, int x0, int y0, const float *v, int w, int h, int scale,
                 float lo, float hi)
{
    float range = hi > lo ? hi - lo : 1.0f;
    for (int y = 0; y < h * scale; y++)
        for (int x = 0; x < w * scale; x++) {
            float t = (v[(y / scale) * w + x / scale] - lo) / range;
            c->px[(size_t)(y0 + y) * c->w + x0 + x] = (uint8_t)(t * 255.0f + 0.5f);
        }
}

static void min_max(const float *v, size_t n, float *lo, float *hi)
{
    *lo = *hi = v[0];
    for (size_t i = 1; i < n; i++) {
        if (v[i] < *lo) *lo = v[i];
        if (v[i] > *hi) *hi = v[i];
    }
}

static int new_canvas(canvas *c, int w, int h)
{
    c->w = w;
    c->h = h;
    c->px = malloc((size_t)w * h);
    if (c->px) memset(c->px, GREY, (size_t)w * h);
    return c->px ? 0 : -1;
}

/* One row per filter, one tile per input channel, 16x. */
static int draw_kernels(canvas *c, const cnn_net *net, const cnn_layer *L)
{
    const int s = 16, F = L->out.c, C = L->in.c, tw = L->kw * s + GAP, th = L->kh * s + GAP;
    const float *w = net->params + L->w_off;
    float lo, hi;
    min_max(w, L->n_w, &lo, &hi);
    if (new_canvas(c, C * tw + GAP, F * th + GAP)) return -1;
    for (int f = 0; f < F; f++)
        for (int ch = 0; ch < C; ch++)
            blit(c, GAP + ch * tw, GAP + f * th, w + ((size_t)f * C + ch) * L->kh * L->kw,
                 L->kw, L->kh, s, lo, hi);
    return 0;
}

/* The digit, then each feature map of layer 0, in one row, 4x. */
static int draw_maps(canvas *c, const cnn_net *net, const float *image, char *err)
{
    const cnn_layer *L = &net->layers[0];
    const int s = 4;
    size_t n = cnn_shape_size(L->out);
    float *maps = malloc(sizeof(float) * n), lo, hi;
    if (!maps || cnn_layer_output(net, image, 0, maps, err)) {
        free(maps);
        return -1;
    }
    int P = L->out.h * L->out.w;
    int w = GAP + net->input.w * s + GAP + L->out.c * (L->out.w * s + GAP);
    int h = GAP + (net->input.h > L->out.h ? net->input.h : L->out.h) * s + GAP;
    if (new_canvas(c, w, h)) {
        free(maps);
        return -1;
    }
    blit(c, GAP, GAP, image, net->input.w, net->input.h, s, 0.0f, 1.0f);
    int x = GAP + net->input.w * s + GAP;
    for (int f = 0; f < L->out.c; f++, x += L->out.w * s + GAP) {
        min_max(maps + (size_t)f * P, P, &lo, &hi);
        blit(c, x, GAP, maps + (size_t)f * P, L->out.w, L->out.h, s, lo, hi);
    }
    free(maps);
    return 0;
}

int cmd_show(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' }, { "kernels", required_argument, 0, 'k' },
        { "maps", required_argument, 0, 'p' }, { "data", required_argument, 0, 'd' },
        { "index", required_argument, 0, 'i' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *kernels = NULL, *maps = NULL, *data = NULL;
    int index = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'k': kernels = optarg; break;
        case 'p': maps = optarg; break;
        case 'd': data = optarg; break;
        case 'i':
            if (opt_int("show", "index", optarg, 0, 2000000000, &index)) return EXIT_USAGE;
            break;
        case 'h':
            printf("usage: %s\n\n--kernels: one row per filter of the first layer, one "
                   "tile per input channel.\n--maps: test image N of DIR (counting the "
                   "images of the model's classes),\nthen its first-layer feature maps.\n", USAGE);
            return EXIT_OK;
        default:
            return option_error("show", argv[optind - 1]);
        }
    }
    if (!model || !!kernels == !!maps || (maps && !data) || optind < argc)
        return usage_error("show", USAGE);
    const char *image = kernels ? kernels : maps;
    if (!*image)
        return cli_error(EXIT_USAGE, "show", "%s: an empty name", kernels ? "--kernels" : "--maps");

    char err[CNN_ERR_LEN] = "out of memory", images[4096], labels[4096];
    cnn_dataset d = { 0 };
    canvas cv = { 0 };
    cnn_net *net = NULL;
    int status = EXIT_FAIL;
    /* the picture replaces neither the model nor the data it is drawn from */
    named_file out = { kernels ? "--kernels" : "--maps", image };
    named_file inputs[] = { { "--model", model }, { "--data", images }, { "--data", labels } };
    if ((maps && data_files(data, "t10k", images, labels, sizeof images, err)) ||
        check_output(&out, 1, inputs, maps ? 3 : 1, err))
        goto fail;
    if (!(net = cnn_model_load(model, NULL, err))) goto fail;
    if (net->layers[0].kind != CNN_CONV) {
        snprintf(err, sizeof err, "%s: the first layer is not a convolution", model);
        goto fail;
    }
    if (kernels) {
        if (draw_kernels(&cv, net, &net->layers[0])) goto fail;
    } else {
        /* --index counts the test images of the model's classes */
        int keep[256], n_keep;
        if (cnn_dataset_load(&d, images, labels, err) || check_images_fit(&d, net, err) ||
            model_classes(net, model, NULL, keep, &n_keep, err))
            goto fail;
        if (n_keep) cnn_dataset_filter(&d, keep, n_keep);
        if (index >= d.count) {
            snprintf(err, sizeof err, "--index %d: the test set has %d images%s", index,
                     d.count, n_keep ? " of the model's classes" : "");
            goto fail;
        }
        float *seen = malloc(sizeof(float) * d.image_size);   /* as the network sees it */
        if (seen) cnn_dataset_images(&d, index, 1, seen);
        int drawn = seen && draw_maps(&cv, net, seen, err) == 0;
        free(seen);
        if (!drawn) goto fail;
    }
    if (pgm_write(image, cv.px, cv.w, cv.h, err)) goto fail;
    printf("wrote %s (%dx%d)\n", image, cv.w, cv.h);
    status = EXIT_OK;
    goto done;
fail:
    cli_error(EXIT_FAIL, "show", "%s", err);
done:
    free(cv.px);
    cnn_dataset_free(&d);
    cnn_net_free(net);
    return status;
}
