/* test_dropout.c: the dropout masks. A chunk of images draws what the same
 * images draw inside a larger chunk (the mask is keyed by the image's place
 * in the batch, not by the shard or thread); a training step's gradient is
 * bit-identical with 1, 2 and 3 threads; the fraction dropped over a large
 * layer is within three standard deviations of the rate; inference is the
 * identity. (The gradient with the mask held fixed: test_gradcheck.) */
#include "check.h"
#include "net/net.h"

#define RATE 0.3f

static void check_chunks(void)
{
    cnn_layer L = { .kind = CNN_DROPOUT, .in = { 4, 5, 5 }, .out = { 4, 5, 5 }, .rate = RATE };
    size_t size = cnn_shape_size(L.in);
    enum { N = 8, FIRST = 5 };
    float x[N * 100], whole[N * 100], part[3 * 100];
    int32_t mask[N * 100], mask_part[3 * 100];
    cnn_rng r = cnn_rng_seed(1);
    fill_uniform(x, N * size, 0.5f, 1, &r);
    dropout_draw draw = { 1, 77, 0 };
    dropout_forward(&(layer_pass){ &L, N, x, whole, { 0 } }, &draw, mask);
    draw.first = FIRST;
    dropout_forward(&(layer_pass){ &L, 3, x + FIRST * size, part, { 0 } }, &draw, mask_part);
    CHECK(memcmp(part, whole + FIRST * size, sizeof(float) * 3 * size) == 0);
    for (size_t e = 0; e < N * size; e++) {
        CHECK(whole[e] == (mask[e] ? x[e] * (1.0f / (1.0f - RATE)) : 0.0f));
        CHECK_INT(mask[e], dropout_keeps(77, (int)(e / size), e % size, RATE));
    }
    /* another step's key draws another mask */
    draw = (dropout_draw){ 1, 78, 0 };
    dropout_forward(&(layer_pass){ &L, 3, x, part, { 0 } }, &draw, mask_part);
    CHECK(memcmp(part, whole, sizeof(float) * 3 * size) != 0);
    /* inference: the identity */
    dropout_forward(&(layer_pass){ &L, N, x, whole, { 0 } }, NULL, mask);
    CHECK(memcmp(x, whole, sizeof(float) * N * size) == 0);
    printf("a chunk draws what its images draw in a larger chunk; inference is the identity\n");
}

static void check_fraction(void)
{
    /* 64 images of a 100x100 layer: 640,000 draws */
    long n = 0, dropped = 0;
    for (int img = 0; img < 64; img++)
        for (size_t e = 0; e < 10000; e++, n++) dropped += !dropout_keeps(12345, img, e, RATE);
    double frac = (double)dropped / n, sigma = sqrt(RATE * (1 - RATE) / n);
    printf("dropped %.5f of %ld at rate %g (sigma %.5f)\n", frac, n, RATE, sigma);
    if (!(fabs(frac - RATE) <= 3 * sigma)) FAIL("dropped fraction %.5f, rate %g", frac, RATE);
}

static void check_threads(void)
{
    char err[CNN_ERR_LEN];
    char text[] = "input channels=1 height=12 width=12\n"
                  "conv filters=4 size=3 act=relu\n"
                  "dropout rate=0.4\n"
                  "dense units=16 act=relu\n"
                  "dropout rate=0.5\n"
                  "dense units=10\n"
                  "loss softmax-cross-entropy\n";
    cnn_net *net = cnn_net_parse(text, "threads", err);
    if (!net) FAIL("%s", err);
    cnn_rng r = cnn_rng_seed(5);
    cnn_net_init(net, &r);
    enum { N = 100 };
    float *x = malloc(sizeof(float) * N * 144), *first = malloc(sizeof(float) * net->n_params);
    uint8_t labels[N];
    fill_uniform(x, N * 144, 0, 1, &r);
    for (int i = 0; i < N; i++) labels[i] = (uint8_t)(i % 10);
    for (int threads = 1; threads <= 3; threads++) {
        cnn_trainer *t = cnn_trainer_new(net, N, threads, err);
        if (!t) FAIL("%s", err);
        cnn_trainer_set_dropout_key(t, 99);
        const float *g;
        cnn_gradient(t, x, labels, N, &g);
        if (threads == 1) memcpy(first, g, sizeof(float) * net->n_params);
        else if (memcmp(first, g, sizeof(float) * net->n_params))
            FAIL("%d threads: the gradient differs from 1 thread's", threads);
        if (threads == 3) { /* and another key gives another gradient */
            cnn_trainer_set_dropout_key(t, 100);
            cnn_gradient(t, x, labels, N, &g);
            CHECK(memcmp(first, g, sizeof(float) * net->n_params) != 0);
        }
        cnn_trainer_free(t);
    }
    printf("the masks, and so the gradient, are bit-identical with 1, 2 and 3 threads\n");
    free(x);
    free(first);
    cnn_net_free(net);
}

int main(void)
{
    check_chunks();
    check_fraction();
    check_threads();
    return 0;
}
