/* The IDX reader: valid files, raw and gzip-compressed, read back exactly;
 * and every kind of bad file refused with a message naming the file and the
 * reason, without crashing or allocating what the file does not hold. */
#include <unistd.h>
#include <zlib.h>
#include "check.h"

static char dir[] = "/tmp/cnn-test-idx-XXXXXX";

static const char *path_of(const char *name)
{
    static char p[2][256];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_file(const char *name, const void *data, size_t len, int gz)
{
    if (gz) {
        gzFile f = gzopen(path_of(name), "wb");
        CHECK(f && gzwrite(f, data, (unsigned)len) == (int)len && gzclose(f) == Z_OK);
    } else {
        FILE *f = fopen(path_of(name), "wb");
        CHECK(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
    }
}

/* An image file of n images rows x cols, pixel i = i % 256. */
static size_t make_images(unsigned char *buf, uint32_t n, uint32_t rows, uint32_t cols)
{
    unsigned char h[16] = {
        0,          0,          8,         3,    n >> 24, n >> 16, n >> 8, n,
        rows >> 24, rows >> 16, rows >> 8, rows, 0,       0,       0,      cols
    };
    memcpy(buf, h, 16);
    for (size_t i = 0; i < (size_t)n * rows * cols; i++) buf[16 + i] = (unsigned char)i;
    return 16 + (size_t)n * rows * cols;
}

static size_t make_labels(unsigned char *buf, uint32_t n)
{
    unsigned char h[8] = { 0, 0, 8, 1, n >> 24, n >> 16, n >> 8, n };
    memcpy(buf, h, 8);
    for (uint32_t i = 0; i < n; i++) buf[8 + i] = (unsigned char)(i % 10);
    return 8 + n;
}

static void expect_ok(const char *images, const char *labels, int n)
{
    cnn_dataset d;
    char err[CNN_ERR_LEN];
    CHECK_OK(cnn_dataset_load(&d, path_of(images), path_of(labels), err), err);
    CHECK_INT(d.count, n);
    CHECK_INT(d.height, 5);
    CHECK_INT(d.width, 4);
    float seen[20];
    for (size_t i = 0; i < (size_t)n * 20; i++) CHECK_INT(d.pixels[i], i % 256);
    cnn_dataset_images(&d, n - 1, 1, seen); /* as the network sees them */
    for (size_t i = 0; i < 20; i++)
        CHECK_NEAR(seen[i], (float)((20 * (n - 1) + i) % 256) / 255.0f, 0);
    for (int i = 0; i < n; i++) CHECK_INT(d.labels[i], i % 10);
    cnn_dataset_free(&d);
}

/* Loading must fail and the message must name `named` and contain `why`. */
static void expect_error(const char *images, const char *labels, const char *named, const char *why)
{
    cnn_dataset d;
    char err[CNN_ERR_LEN];
    if (cnn_dataset_load(&d, path_of(images), path_of(labels), err) == 0)
        FAIL("%s + %s: loaded, expected \"%s\"", images, labels, why);
    if (!strstr(err, named) || !strstr(err, why))
        FAIL("%s: message \"%s\" does not name %s and say \"%s\"", images, err, named, why);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    static unsigned char img[16 + 300 * 20], lab[8 + 300], lab299[8 + 299], bad[64];
    size_t ni = make_images(img, 300, 5, 4), nl = make_labels(lab, 300);

    /* valid: raw, gzip, and mixed */
    write_file("i.raw", img, ni, 0);
    write_file("l.raw", lab, nl, 0);
    write_file("i.gz", img, ni, 1);
    write_file("l.gz", lab, nl, 1);
    expect_ok("i.raw", "l.raw", 300);
    expect_ok("i.gz", "l.gz", 300);
    expect_ok("i.gz", "l.raw", 300);

    /* bad images */
    write_file("empty", "", 0, 0);
    expect_error("empty", "l.raw", "empty", "is empty");
    write_file("short-header", img, 10, 0);
    expect_error("short-header", "l.raw", "short-header", "truncated");
    memcpy(bad, img, 16);
    bad[0] = 0x1f;
    write_file("magic", bad, 16, 0);
    expect_error("magic", "l.raw", "magic", "wrong magic");
    memcpy(bad, img, 16);
    bad[2] = 0x0d; /* float data */
    write_file("type", bad, 16, 0);
    expect_error("type", "l.raw", "type", "type code 0x0d");
    expect_error("l.raw", "l.raw", "l.raw", "1 dimensions where image files have 3");
    memcpy(bad, img, 16);
    bad[7] = 0;
    bad[6] = 0;
    write_file("zero-count", bad, 16, 0);
    expect_error("zero-count", "l.raw", "zero-count", "dimension 0 is 0");
    memcpy(bad, img, 16);
    bad[4] = bad[5] = bad[6] = bad[7] = 0xff; /* 4 billion images */
    write_file("huge-count", bad, 16, 0);
    expect_error("huge-count", "l.raw", "huge-count", "dimension 0 is 4294967295");
    memcpy(bad, img, 16);
    bad[4] = 0x05; /* 83 million images of 20 bytes: 1.7 GB the file lacks */
    write_file("lying-count", bad, 16, 0);
    expect_error("lying-count", "l.raw", "lying-count", "truncated: the data ends after 0");
    write_file("truncated", img, ni - 7, 0);
    expect_error("truncated", "l.raw", "truncated", "truncated");
    unsigned char *more = malloc(ni + 3);
    memcpy(more, img, ni);
    memset(more + ni, 0, 3);
    write_file("trailing", more, ni + 3, 0);
    expect_error("trailing", "l.raw", "trailing", "trailing bytes");
    write_file("trailing.gz", more, ni + 3, 1);
    expect_error("trailing.gz", "l.raw", "trailing.gz", "trailing bytes");
    free(more);

    /* gzip damage: cut short, bytes flipped */
    FILE *f = fopen(path_of("i.gz"), "rb");
    static unsigned char z[16 + 300 * 20 + 1024];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    write_file("cut.gz", z, zn / 2, 0);
    expect_error("cut.gz", "l.raw", "cut.gz", "");
    z[zn / 2] ^= 0xff;
    z[zn / 2 + 1] ^= 0xff;
    write_file("flipped.gz", z, zn, 0);
    expect_error("flipped.gz", "l.raw", "flipped.gz", "");

    /* gzip members may be concatenated; anything else after the gzip data is
     * refused (gzread would skip it) */
    size_t half = ni / 2;
    write_file("part1.gz", img, half, 1);
    write_file("part2.gz", img + half, ni - half, 1);
    static unsigned char joined[2 * sizeof z];
    size_t jn = 0;
    for (int p = 1; p <= 2; p++) {
        f = fopen(path_of(p == 1 ? "part1.gz" : "part2.gz"), "rb");
        jn += fread(joined + jn, 1, sizeof joined - jn, f);
        fclose(f);
    }
    write_file("members.gz", joined, jn, 0);
    expect_ok("members.gz", "l.raw", 300);
    f = fopen(path_of("i.gz"), "rb");
    zn = fread(z, 1, sizeof z - 8, f);
    fclose(f);
    memcpy(z + zn, "garbage!", 8);
    write_file("garbage.gz", z, zn + 8, 0);
    expect_error("garbage.gz", "l.raw", "garbage.gz", "trailing bytes after the gzip data");
    memset(z + zn, 0, 8);
    write_file("zeros.gz", z, zn + 8, 0);
    expect_error("zeros.gz", "l.raw", "zeros.gz", "trailing bytes after the gzip data");

    /* labels */
    write_file("l299", lab299, make_labels(lab299, 299), 0);
    expect_error("i.raw", "l299", "l299", "299 labels for the 300 images");

    /* not files */
    expect_error("no-such-file", "l.raw", "no-such-file", "No such file");
    snprintf((char *)bad, sizeof bad, "%s", path_of("folder"));
    CHECK(mkdir((char *)bad, 0755) == 0);
    expect_error("folder", "l.raw", "folder", "is a folder");

    printf("IDX: raw, gzip (one member or two) and mixed files read exactly; 19 kinds of "
           "bad file refused by name\n");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
