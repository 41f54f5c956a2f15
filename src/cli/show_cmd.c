/* show_cmd.c: cnn show. Pictures of what a model learned: the first
 * convolution's kernels, or an input image beside its first-layer feature
 * maps (scaled up, mid-grey gaps between tiles), in colour for colour
 * networks, as PNG when the name ends in .png, else PGM or PPM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "outputs.h"
#include "picture.h"

static const char *USAGE =
    "cnn show --model MODEL (--kernels OUT | --maps OUT (--data DIR [--index N] | "
    "--image FILE))";

#define GAP  2
#define GREY 128

typedef struct {
    uint8_t *px; /* (h, w, channels) */
    int w, h, channels;
} canvas;

/* Draw planes (w x h each, `planes` of them: 1 grey or 3 RGB) at (x0, y0),
 * each value a scale x scale block, mapping [lo, hi] to black..white. */
static void blit(canvas *c, int x0, int y0, const float *v, int planes, int w, int h, int scale,
                 float lo, float hi)
{
    float range = hi > lo ? hi - lo : 1.0f;
    for (int y = 0; y < h * scale; y++)
        for (int x = 0; x < w * scale; x++)
            for (int k = 0; k < c->channels; k++) {
                const float *plane = v + (size_t)(planes == 1 ? 0 : k) * w * h;
                float t = (plane[(y / scale) * w + x / scale] - lo) / range;
                c->px[((size_t)(y0 + y) * c->w + x0 + x) * c->channels + k] = (uint8_t)(t * 255.0f +
                                                                                        0.5f);
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

static int new_canvas(canvas *c, int w, int h, int channels)
{
    c->w = w;
    c->h = h;
    c->channels = channels;
    c->px = malloc((size_t)w * h * channels);
    if (c->px) memset(c->px, GREY, (size_t)w * h * channels);
    return c->px ? 0 : -1;
}

/* One row per filter, 16x: one tile per channel it sees (its group's), or for
 * a colour input one colour tile. */
static int draw_kernels(canvas *c, const cnn_net *net, const cnn_layer *L)
{
    const int s = 16, F = L->out.c, C = L->in.c / L->groups, KK = L->win.kh * L->win.kw;
    const int colour = C == 3 && L->in.c == 3, tiles = colour ? 1 : C;
    const int tw = L->win.kw * s + GAP, th = L->win.kh * s + GAP;
    const float *w = net->params + L->w_off;
    float lo, hi;
    min_max(w, L->n_w, &lo, &hi);
    if (new_canvas(c, tiles * tw + GAP, F * th + GAP, colour ? 3 : 1)) return -1;
    for (int f = 0; f < F; f++)
        for (int t = 0; t < tiles; t++)
            blit(c, GAP + t * tw, GAP + f * th, w + ((size_t)f * C + t) * KK, colour ? 3 : 1,
                 L->win.kw, L->win.kh, s, lo, hi);
    return 0;
}

/* The image, then each feature map of layer 0, in one row, 4x. */
static int draw_maps(canvas *c, const cnn_net *net, const float *image, char *err)
{
    const cnn_layer *L = &net->layers[0];
    const int s = 4, colour = net->input.c == 3;
    size_t n = cnn_shape_size(L->out);
    float *maps = malloc(sizeof(float) * n), lo, hi;
    if (!maps || cnn_layer_output(net, image, 0, maps, err)) {
        free(maps);
        return -1;
    }
    int P = L->out.h * L->out.w;
    int w = GAP + net->input.w * s + GAP + L->out.c * (L->out.w * s + GAP);
    int h = GAP + (net->input.h > L->out.h ? net->input.h : L->out.h) * s + GAP;
    if (new_canvas(c, w, h, colour ? 3 : 1)) {
        free(maps);
        return -1;
    }
    blit(c, GAP, GAP, image, colour ? 3 : 1, net->input.w, net->input.h, s, 0.0f, 1.0f);
    int x = GAP + net->input.w * s + GAP;
    for (int f = 0; f < L->out.c; f++, x += L->out.w * s + GAP) {
        min_max(maps + (size_t)f * P, P, &lo, &hi);
        blit(c, x, GAP, maps + (size_t)f * P, 1, L->out.w, L->out.h, s, lo, hi);
    }
    free(maps);
    return 0;
}

/* The image --maps draws, as the network sees it (input floats): an image
 * file, or test image `index` of DIR (any layout; IDX: counting the images
 * of the model's classes). */
static int maps_input(float *seen, const cnn_net *net, const cnn_image_spec *spec,
                      const char *model, const char *data, const char *file, int index, char *err)
{
    if (file) {
        unsigned conversions = 0;
        uint8_t *px = malloc(cnn_shape_size(net->input));
        int rc = px ? cnn_image_file_read(px, spec, file, &conversions, err) : -1;
        cnn_dataset one = { .count = 1, .image_size = cnn_shape_size(net->input), .pixels = px };
        if (rc == 0) cnn_dataset_images(&one, 0, 1, seen);
        free(px);
        return rc;
    }
    cnn_dataset d;
    int keep[256], n_keep = 0, rc = -1;
    if (load_any_part(&d, data, 1, spec, NULL, err) ||
        (d.class_names ? labels_by_name(&d, net, err)
                       : model_classes(net, model, NULL, keep, &n_keep, err)) ||
        check_images_fit(&d, net, err))
        goto done;
    if (n_keep) cnn_dataset_filter(&d, keep, n_keep);
    if (index >= d.count) {
        snprintf(err, CNN_ERR_LEN, "--index %d: the test set has %d images%s", index, d.count,
                 n_keep ? " of the model's classes" : "");
        goto done;
    }
    cnn_dataset_images(&d, index, 1, seen);
    rc = 0;
done:
    cnn_dataset_free(&d);
    return rc;
}

int cmd_show(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' }, { "kernels", required_argument, 0, 'k' },
        { "maps", required_argument, 0, 'p' },  { "data", required_argument, 0, 'd' },
        { "index", required_argument, 0, 'i' }, { "image", required_argument, 0, 'g' },
        { "help", no_argument, 0, 'h' },        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *kernels = NULL, *maps = NULL, *data = NULL, *file = NULL;
    int index = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'k': kernels = optarg; break;
        case 'p': maps = optarg; break;
        case 'd': data = optarg; break;
        case 'g': file = optarg; break;
        case 'i':
            if (opt_int("show", "index", optarg, 0, 2000000000, &index)) return EXIT_USAGE;
            break;
        case 'h':
            printf("usage: %s\n\n--kernels: one row per filter of the first layer, one "
                   "tile per input channel\n(one colour tile for a colour input). --maps: "
                   "test image N of DIR (counting\nthe images of the model's classes), or "
                   "an image file, then its first-layer\nfeature maps. OUT.png is written "
                   "as PNG, any other name as PGM (PPM in colour).\n",
                   USAGE);
            return EXIT_OK;
        default: return option_error("show", argv[optind - 1]);
        }
    }
    if (!model || !!kernels == !!maps || (maps && !data == !file) || (kernels && (data || file)) ||
        optind < argc)
        return usage_error("show", USAGE);
    const char *picture = kernels ? kernels : maps;
    if (!*picture)
        return cli_error(EXIT_USAGE, "show", "%s: an empty name", kernels ? "--kernels" : "--maps");

    char err[CNN_ERR_LEN] = "out of memory", images[4096] = "", labels[4096] = "";
    canvas cv = { 0 };
    cnn_net *net = NULL;
    float *seen = NULL;
    int status = EXIT_FAIL;
    /* the picture replaces neither the model nor the data it is drawn from */
    named_file out = { kernels ? "--kernels" : "--maps", picture };
    named_file inputs[] = {
        { "--model", model }, { "--image", file }, { "--data", images }, { "--data", labels }
    };
    if ((data && data_layout_of(data) == LAYOUT_IDX &&
         data_files(data, "t10k", images, labels, sizeof images, err)) ||
        check_output(&out, 1, inputs, 4, err))
        goto fail;
    cnn_image_spec spec;
    if (!(net = load_model_reading(model, NULL, &spec, err))) goto fail;
    if (net->layers[0].kind != CNN_CONV) {
        snprintf(err, sizeof err, "%s: the first layer is not a convolution", model);
        goto fail;
    }
    if (kernels) {
        if (draw_kernels(&cv, net, &net->layers[0])) goto fail;
    } else if (!(seen = malloc(sizeof(float) * cnn_shape_size(net->input))) ||
               maps_input(seen, net, &spec, model, data, file, index, err) ||
               draw_maps(&cv, net, seen, err)) {
        goto fail;
    }
    if (picture_write(picture, cv.px, cv.w, cv.h, cv.channels, err)) goto fail;
    printf("wrote %s (%dx%d)\n", picture, cv.w, cv.h);
    status = EXIT_OK;
    goto done;
fail:
    cli_error(EXIT_FAIL, "show", "%s", err);
done:
    free(cv.px);
    free(seen);
    cnn_net_free(net);
    return status;
}
