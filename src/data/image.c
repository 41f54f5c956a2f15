/* image.c: PNG (libspng), JPEG (TurboJPEG) and PGM/PPM files decoded into a
 * network's input; see image.h. Every decoder first yields the file's own
 * channels interleaved (grey, grey+alpha, RGB or RGBA); one conversion then
 * makes the planar channels the network takes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spng.h>
#include <turbojpeg.h>
#include "cnn.h"
#include "data/image.h"

/* A decoded file: w x h pixels of `channels` interleaved bytes (1 grey,
 * 2 grey+alpha, 3 RGB, 4 RGBA). */
typedef struct {
    uint8_t *px;
    int w, h, channels;
    unsigned done; /* IMAGE_PALETTE, IMAGE_SCALED_8BIT */
} decoded;

const char *image_kind(const uint8_t *data, size_t len)
{
    static const uint8_t png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (len >= 8 && !memcmp(data, png, 8)) return "PNG";
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return "JPEG";
    if (len >= 2 && data[0] == 'P' && strchr("2356", data[1]) && data[1]) return "PGM/PPM";
    return NULL;
}

/* The size check every decoder makes from its header, before the pixels. */
static int check_size(int w, int h, const cnn_image_spec *spec, const char *name, char *err)
{
    const cnn_shape *shape = &spec->shape;
    if (w < 1 || h < 1 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: the header claims %dx%d pixels (height x width); "
                 "1 to %d a side are read",
                 name, h, w, IMAGE_MAX_SIDE);
        return -1;
    }
    if (!spec->resize && (w != shape->w || h != shape->h)) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: %dx%d pixels (height x width), but the network "
                 "takes %dx%d (--resize scales images to it)",
                 name, h, w, shape->h, shape->w);
        return -1;
    }
    return 0;
}

/* ---- PNG ---- */

static int decode_png(decoded *d, const cnn_image_spec *spec, const uint8_t *data, size_t len,
                      const char *name, char *err)
{
    spng_ctx *ctx = spng_ctx_new(0);
    struct spng_ihdr ih;
    struct spng_trns trns;
    size_t size;
    int rc = -1, fmt, e;
    if (!ctx) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", name);
        return -1;
    }
    spng_set_image_limits(ctx, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
    spng_set_chunk_limits(ctx, (size_t)1 << 24, (size_t)1 << 26);
    if ((e = spng_set_png_buffer(ctx, data, len)) || (e = spng_get_ihdr(ctx, &ih))) {
        snprintf(err, CNN_ERR_LEN, "%s: not a PNG libspng can read: %s", name, spng_strerror(e));
        goto done;
    }
    if (ih.bit_depth == 16) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: a 16-bit PNG; 8-bit images only (convert it to 8 "
                 "bits)",
                 name);
        goto done;
    }
    if (check_size((int)ih.width, (int)ih.height, spec, name, err)) goto done;
    /* reading the chunks before the image data finds a truncated or corrupt
     * file already */
    e = spng_get_trns(ctx, &trns);
    int has_trns = e == 0;
    if (e && e != SPNG_ECHUNKAVAIL) {
        snprintf(err, CNN_ERR_LEN, "%s: corrupt or truncated PNG: %s", name, spng_strerror(e));
        goto done;
    }
    switch (ih.color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
        fmt = SPNG_FMT_G8;
        d->channels = 1;
        break;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: /* libspng 0.7 gives no GA8: RGBA8, then packed */
        fmt = SPNG_FMT_RGBA8;
        d->channels = 2;
        break;
    case SPNG_COLOR_TYPE_TRUECOLOR:
    case SPNG_COLOR_TYPE_INDEXED:
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
        fmt = has_trns || ih.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA ? SPNG_FMT_RGBA8
                                                                           : SPNG_FMT_RGB8;
        d->channels = fmt == SPNG_FMT_RGBA8 ? 4 : 3;
        if (ih.color_type == SPNG_COLOR_TYPE_INDEXED) d->done |= IMAGE_PALETTE;
        break;
    default:
        snprintf(err, CNN_ERR_LEN, "%s: PNG colour type %d is not one of PNG's", name,
                 ih.color_type);
        goto done;
    }
    d->w = (int)ih.width;
    d->h = (int)ih.height;
    if ((e = spng_decoded_image_size(ctx, fmt, &size)) || !(d->px = malloc(size))) {
        snprintf(err, CNN_ERR_LEN, "%s: %s%s", name, e ? "corrupt or truncated PNG: " : "",
                 e ? spng_strerror(e) : "out of memory");
        goto done;
    }
    if ((e = spng_decode_image(ctx, d->px, size, fmt, SPNG_DECODE_TRNS))) {
        snprintf(err, CNN_ERR_LEN, "%s: corrupt or truncated PNG: %s", name, spng_strerror(e));
        goto done;
    }
    if (d->channels == 2)
        for (size_t p = 0; p < (size_t)d->w * d->h; p++) {
            d->px[2 * p] = d->px[4 * p];
            d->px[2 * p + 1] = d->px[4 * p + 3];
        }
    rc = 0;
done:
    spng_ctx_free(ctx);
    return rc;
}

/* ---- JPEG ---- */

static int decode_jpeg(decoded *d, const cnn_image_spec *spec, const uint8_t *data, size_t len,
                       const char *name, char *err)
{
    tjhandle tj = tjInitDecompress();
    int w, h, subsamp, space, rc = -1;
    if (!tj) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", name);
        return -1;
    }
    if (tjDecompressHeader3(tj, data, (unsigned long)len, &w, &h, &subsamp, &space)) {
        snprintf(err, CNN_ERR_LEN, "%s: corrupt or truncated JPEG: %s", name, tjGetErrorStr2(tj));
        goto done;
    }
    if (space == TJCS_CMYK || space == TJCS_YCCK) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: a CMYK JPEG; grey and colour (YCbCr) JPEGs only "
                 "(convert it to RGB)",
                 name);
        goto done;
    }
    if (check_size(w, h, spec, name, err)) goto done;
    d->w = w;
    d->h = h;
    d->channels = space == TJCS_GRAY ? 1 : 3;
    if (!(d->px = malloc((size_t)w * h * d->channels))) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", name);
        goto done;
    }
    /* a warning (a truncated file, which libjpeg pads with grey) is an error
     * here; LIMITSCANS refuses progressive files of more than 500 scans */
    if (tjDecompress2(tj, data, (unsigned long)len, d->px, w, 0, h,
                      d->channels == 1 ? TJPF_GRAY : TJPF_RGB,
                      TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)) {
        snprintf(err, CNN_ERR_LEN, "%s: corrupt or truncated JPEG: %s", name, tjGetErrorStr2(tj));
        goto done;
    }
    rc = 0;
done:
    tjDestroy(tj);
    return rc;
}

/* ---- PGM and PPM (P2, P3 plain; P5, P6 binary) ---- */

typedef struct {
    const uint8_t *at, *end;
} cursor;

/* The next number, after white space and # comments: 0, -1 at the end, -2
 * on anything else. A number ends at one white-space byte (or the end). */
static int pnm_number(cursor *c, long limit, int *v)
{
    while (c->at < c->end && (isspace(*c->at) || *c->at == '#')) {
        if (*c->at == '#')
            while (c->at < c->end && *c->at != '\n') c->at++;
        else c->at++;
    }
    if (c->at == c->end) return -1;
    if (!isdigit(*c->at)) return -2;
    long x = 0;
    while (c->at < c->end && isdigit(*c->at)) {
        x = x * 10 + (*c->at++ - '0');
        if (x > limit) return -2;
    }
    *v = (int)x;
    if (c->at < c->end && !isspace(*c->at)) return -2;
    if (c->at < c->end) c->at++;
    return 0;
}

static int decode_pnm(decoded *d, const cnn_image_spec *spec, const uint8_t *data, size_t len,
                      const char *name, char *err)
{
    cursor c = { data + 2, data + len };
    int kind = data[1] - '0', maxval = 0;
    d->channels = kind == 3 || kind == 6 ? 3 : 1;
    if (pnm_number(&c, 1 << 30, &d->w) || pnm_number(&c, 1 << 30, &d->h) ||
        pnm_number(&c, 65535, &maxval) || maxval < 1) {
        snprintf(err, CNN_ERR_LEN, "%s: bad %s header", name, d->channels == 1 ? "PGM" : "PPM");
        return -1;
    }
    if (maxval > 255) {
        snprintf(err, CNN_ERR_LEN, "%s: 16-bit samples (maximum value %d); 8-bit images only", name,
                 maxval);
        return -1;
    }
    if (check_size(d->w, d->h, spec, name, err)) return -1;
    size_t n = (size_t)d->w * d->h * d->channels;
    if (!(d->px = malloc(n))) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", name);
        return -1;
    }
    if (maxval != 255) d->done |= IMAGE_SCALED_8BIT;
    for (size_t i = 0; i < n; i++) {
        int v = 0, rc = 0;
        if (kind >= 5) rc = c.at < c.end ? (v = *c.at++, 0) : -1;
        else rc = pnm_number(&c, 1 << 20, &v);
        if (rc || v > maxval) {
            if (rc == -1)
                snprintf(err, CNN_ERR_LEN, "%s: truncated: %zu of %zu samples", name, i, n);
            else
                snprintf(err, CNN_ERR_LEN, "%s: sample %zu is not a number from 0 to %d", name,
                         i + 1, maxval);
            return -1;
        }
        d->px[i] = (uint8_t)((v * 255 + maxval / 2) / maxval);
    }
    return 0;
}

/* ---- conversion ---- */

/* d's pixels into out (channels, d->h, d->w): alpha composed over black,
 * then grey to RGB by copying or RGB to grey by image_luma. */
static void convert(uint8_t *out, int channels, const decoded *d, unsigned *done)
{
    size_t plane = (size_t)d->w * d->h;
    int sc = d->channels, alpha = sc == 2 || sc == 4;
    *done |= d->done | (alpha ? IMAGE_ALPHA_DROPPED : 0);
    if (channels == 1 && sc >= 3) *done |= IMAGE_RGB_TO_GREY;
    if (channels == 3 && sc <= 2) *done |= IMAGE_GREY_TO_RGB;
    for (size_t p = 0; p < plane; p++) {
        const uint8_t *s = d->px + p * sc;
        unsigned r = s[0], g = sc >= 3 ? s[1] : s[0], b = sc >= 3 ? s[2] : s[0];
        if (alpha) {
            unsigned a = s[sc - 1];
            r = (r * a + 127) / 255;
            g = (g * a + 127) / 255;
            b = (b * a + 127) / 255;
        }
        if (channels == 1) {
            out[p] = sc >= 3 ? image_luma(r, g, b) : (uint8_t)r;
        } else {
            out[p] = (uint8_t)r;
            out[plane + p] = (uint8_t)g;
            out[2 * plane + p] = (uint8_t)b;
        }
    }
}

int cnn_image_decode(uint8_t *out, const cnn_image_spec *spec, const uint8_t *data, size_t len,
                     const char *name, unsigned *done, char *err)
{
    const cnn_shape *shape = &spec->shape;
    const char *kind = image_kind(data, len);
    decoded d = { 0 };
    int rc;
    if (shape->c != 1 && shape->c != 3) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: the network takes %d channels; images give 1 (grey) "
                 "or 3 (RGB)",
                 name, shape->c);
        return -1;
    }
    if (!kind) {
        snprintf(err, CNN_ERR_LEN, "%s: not a PNG, JPEG, PGM or PPM image", name);
        return -1;
    }
    if (!strcmp(kind, "PNG")) rc = decode_png(&d, spec, data, len, name, err);
    else if (!strcmp(kind, "JPEG")) rc = decode_jpeg(&d, spec, data, len, name, err);
    else rc = decode_pnm(&d, spec, data, len, name, err);
    if (rc == 0 && d.w == shape->w && d.h == shape->h) {
        convert(out, shape->c, &d, done);
    } else if (rc == 0) { /* --resize: converted at the file's size, then scaled */
        uint8_t *full = malloc((size_t)shape->c * d.w * d.h);
        if (full) convert(full, shape->c, &d, done);
        if (!full || image_resize(out, shape->w, shape->h, full, d.w, d.h, shape->c)) {
            snprintf(err, CNN_ERR_LEN, "%s: out of memory", name);
            rc = -1;
        }
        *done |= IMAGE_RESIZED;
        free(full);
    }
    free(d.px);
    return rc;
}

void image_describe_conversions(char *buf, size_t len, unsigned done)
{
    static const struct {
        unsigned bit;
        const char *what;
    } said[] = {
        { IMAGE_PALETTE, "palette colours looked up" },
        { IMAGE_ALPHA_DROPPED, "alpha dropped against black" },
        { IMAGE_RGB_TO_GREY, "colour converted to grey (BT.601)" },
        { IMAGE_GREY_TO_RGB, "grey copied to RGB" },
        { IMAGE_SCALED_8BIT, "PGM/PPM samples scaled to 0-255" },
        { IMAGE_RESIZED, "scaled to the network's size (--resize)" },
    };
    size_t at = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof said / sizeof said[0]; k++)
        if (done & said[k].bit && at < len)
            at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", said[k].what);
}
