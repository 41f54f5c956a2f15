/* The engine's schedule (shards, chunks, images per sgemm, the sum of the
 * shards' gradient blocks) against arithmetic that does not depend on it:
 * each image's gradient from its own one-image pass, summed in double. A
 * schedule that drops, repeats or overwrites any part of a batch fails here,
 * whatever the thread count, even where every thread count agrees. */
#include "check.h"
#include "net/net.h"

/* The mean over n images of each image's own gradient, in double. */
static void per_image_gradient(cnn_net *net, const float *x, const uint8_t *y, int n, double *mean)
{
    size_t isz = cnn_shape_size(net->input), P = net->n_params;
    float *g = malloc(sizeof(float) * P);
    workspace ws;
    CHECK(g && workspace_alloc(&ws, net, 1) == 0);
    memset(mean, 0, sizeof(double) * P);
    for (int i = 0; i < n; i++) {
        net_forward(&ws, net, net->params, x + i * isz, 1);
        net_loss(&ws, net, &(loss_batch){ y + i, 1, 1.0f }, NULL);
        net_backward(&ws, net, net->params, &(grad_target){ g, GRAD_WRITE, NULL }, 1);
        for (size_t k = 0; k < P; k++) mean[k] += g[k];
    }
    for (size_t k = 0; k < P; k++) mean[k] /= n;
    workspace_free(&ws);
    free(g);
}

/* Every parameter within 1e-4 of its layer's largest gradient. */
static void compare(const char *name, int n, int threads, const cnn_net *net, const float *got,
                    const double *want)
{
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        size_t lo = L->w_off, hi = L->w_off + L->n_w + L->n_b;
        double gmax = 0;
        for (size_t k = lo; k < hi; k++) gmax = fmax(gmax, fabs(want[k]));
        for (size_t k = lo; k < hi; k++)
            if (!(fabs(got[k] - want[k]) <= 1e-4 * gmax))
                FAIL("%s, batch %d, %d threads: layer %d parameter %zu: %.9g, one image at "
                     "a time %.9g (largest %.3g)",
                     name, n, threads, l + 1, k - lo, got[k], want[k], gmax);
    }
}

int main(void)
{
    struct {
        const char *name;
        int max_batch;
    } nets[] = {
        { "seed000", 2100 },
        { "seed004", 300 },
        { "lenet", 300 },
        { "vgg", 65 },
    };
    /* 2,100 images make shards longer than a workspace's chunk */
    const int batches[] = { 1, 7, 65, 100, 300, 2100 };
    for (size_t t = 0; t < sizeof nets / sizeof nets[0]; t++) {
        char err[CNN_ERR_LEN];
        cnn_net *net = cnn_net_load(nets[t].name, err);
        CHECK(net != NULL);
        cnn_rng rng = cnn_rng_seed(7 + t);
        cnn_net_init(net, &rng);
        int max = nets[t].max_batch;
        size_t isz = cnn_shape_size(net->input);
        float *x = malloc(sizeof(float) * isz * max);
        uint8_t *y = malloc(max);
        double *want = malloc(sizeof(double) * net->n_params);
        fill_uniform(x, isz * max, 0, 1, &rng);
        for (int i = 0; i < max; i++) y[i] = (uint8_t)(cnn_rng_next(&rng) % net->classes);
        cnn_trainer *one = cnn_trainer_new(net, max, 1, err),
                    *two = cnn_trainer_new(net, max, 2, err);
        CHECK(one && two);
        for (size_t b = 0; b < sizeof batches / sizeof batches[0] && batches[b] <= max; b++) {
            int n = batches[b];
            const float *g;
            per_image_gradient(net, x, y, n, want);
            cnn_gradient(one, x, y, n, &g);
            compare(nets[t].name, n, 1, net, g, want);
            cnn_gradient(two, x, y, n, &g);
            compare(nets[t].name, n, 2, net, g, want);
        }
        printf("%-8s batches up to %d: the gradient equals the mean of one-image gradients\n",
               nets[t].name, max);
        cnn_trainer_free(one);
        cnn_trainer_free(two);
        free(x);
        free(y);
        free(want);
        cnn_net_free(net);
    }
    return 0;
}
