/* workspace.c: one thread's buffers for a chunk of n images, allocated once
 * and sized from the network's shapes, so no step allocates. */
#include <stdlib.h>
#include <string.h>
#include "layers.h"

/* 64-byte aligned, zeroed; sgemm and the vector loops like aligned rows. */
void *aligned_calloc(size_t count, size_t size)
{
    size_t bytes = count * size;
    if (count && bytes / count != size) return NULL;
    bytes = (bytes + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

int workspace_alloc(workspace *ws, const cnn_net *net, int n)
{
    memset(ws, 0, sizeof *ws);
    ws->n = n;
    size_t stage = 0, wrot = 0, colf = 0, dstage = 0, grad = cnn_shape_size(net->input);
    int ok = 1;
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        size_t out = cnn_shape_size(L->out), P = (size_t)L->out.h * L->out.w;
        size_t K = (size_t)L->in.c * L->kh * L->kw, FK = (size_t)L->out.c * L->kh * L->kw;
        ok &= (ws->act[l] = aligned_calloc((size_t)n * out, sizeof(float))) != NULL;
        if (L->kind == CNN_MAXPOOL || L->kind == CNN_MINPOOL)
            ok &= (ws->mask[l] = aligned_calloc((size_t)n * out, sizeof(int32_t))) != NULL;
        if (L->kind == CNN_CONV) {
            ok &= (ws->col[l] = aligned_calloc(K * n * P, sizeof(float))) != NULL;
            stage = max_size(stage, (size_t)L->out.c * n * P);
            wrot = max_size(wrot, K * L->out.c);
            size_t g = (size_t)conv_group(L, n), HW = (size_t)L->in.h * L->in.w;
            colf = max_size(colf, FK * HW * g);
            dstage = max_size(dstage, conv_dstage_size(L, n));
        }
        grad = max_size(grad, out);
    }
    ok &= (ws->stage = aligned_calloc(stage, sizeof(float))) != NULL;
    ok &= (ws->wrot = aligned_calloc(wrot, sizeof(float))) != NULL;
    ok &= (ws->colf = aligned_calloc(colf, sizeof(float))) != NULL;
    ok &= (ws->dstage = aligned_calloc(dstage, sizeof(float))) != NULL;
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
        free(ws->mask[l]);
        free(ws->col[l]);
    }
    free(ws->stage);
    free(ws->wrot);
    free(ws->colf);
    free(ws->dstage);
    free(ws->d[0]);
    free(ws->d[1]);
    free(ws->probs);
    memset(ws, 0, sizeof *ws);
}
