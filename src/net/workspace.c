/* workspace.c: one thread's buffers for a chunk of n images, allocated once
 * and sized from the network's shapes, so no step allocates. */
#include <stdlib.h>
#include <string.h>
#include "net/net.h"

int workspace_alloc(workspace *ws, const cnn_net *net, int n)
{
    memset(ws, 0, sizeof *ws);
    ws->n = n;
    size_t grad = cnn_shape_size(net->input);
    int ok = 1;
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        const layer_kind *kind = &layer_kinds[L->kind];
        size_t out = cnn_shape_size(L->out);
        ok &= (ws->act[l] = aligned_calloc((size_t)n * out, sizeof(float))) != NULL;
        if (kind->alloc) ok &= kind->alloc(&ws->scratch[l], L, n) == 0;
        if (net_output_summed(net, l))
            ok &= (ws->dsum[l] = aligned_calloc((size_t)n * out, sizeof(float))) != NULL;
        if (out > grad) grad = out;
    }
    ok &= (ws->d[0] = aligned_calloc(grad * n, sizeof(float))) != NULL;
    ok &= (ws->d[1] = aligned_calloc(grad * n, sizeof(float))) != NULL;
    ok &= (ws->probs = aligned_calloc((size_t)n * net->classes, sizeof(float))) != NULL;
    if (!ok) workspace_free(ws);
    return ok ? 0 : -1;
}

void workspace_free(workspace *ws)
{
    for (int l = 0; l < CNN_MAX_LAYERS; l++) {
        free(ws->act[l]);
        free(ws->scratch[l].mask);
        conv_scratch_free(&ws->scratch[l].conv);
        free(ws->dsum[l]);
    }
    free(ws->d[0]);
    free(ws->d[1]);
    free(ws->probs);
    memset(ws, 0, sizeof *ws);
}
