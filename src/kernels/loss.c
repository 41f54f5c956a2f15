/* loss.c: the three losses, each computing its value and the gradient with
 * respect to the last layer's pre-activation output z in one pass.
 *
 *   softmax-cross-entropy  L = -log s_y, s = softmax(z)      dL/dz = s - y
 *   binary-cross-entropy   L = -1/m sum t log p + (1-t) log(1-p), p = sigmoid(z)
 *                          dL/dz = (p - t) / m
 *   mean-squared-error     L = 1/2 sum (p - t)^2     dL/dp = p - t
 *
 * Targets t are one-hot labels; m is the number of outputs. Softmax uses the
 * max-shifted log-sum-exp; logs are clamped so a saturated sigmoid gives a
 * large finite loss, never inf. */
#include <math.h>
#include "kernels/kernels.h"
#include "sys/ensure.h"

#define LOG_FLOOR 1e-7f

int argmax(const float *v, int len)
{
    int best = 0;
    for (int i = 1; i < len; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

int count_correct(const float *out, const uint8_t *labels, int n, int classes)
{
    int correct = 0;
    for (int i = 0; i < n; i++) correct += argmax(out + (size_t)i * classes, classes) == labels[i];
    return correct;
}

static double softmax_ce(float *dz, float *probs, const float *z, int label, int m, float scale)
{
    ENSURE(m >= 1); /* a network has 2 classes or more: the sum is >= 1 */
    float zmax = z[argmax(z, m)];
    double sum = exp((double)(z[0] - zmax)); /* the same bits as 0.0 + it */
    for (int k = 1; k < m; k++) sum += exp((double)(z[k] - zmax));
    double logsum = log(sum);
    for (int k = 0; k < m; k++) {
        probs[k] = (float)exp((double)(z[k] - zmax) - logsum);
        dz[k] = scale * (probs[k] - (k == label ? 1.0f : 0.0f));
    }
    return logsum - (double)(z[label] - zmax);
}

static double bce(float *dz, float *probs, const float *p, int label, int m, float scale)
{
    double loss = 0.0;
    for (int k = 0; k < m; k++) {
        float t = k == label ? 1.0f : 0.0f;
        float pk = fminf(fmaxf(p[k], LOG_FLOOR), 1.0f - LOG_FLOOR);
        loss -= t * logf(pk) + (1.0f - t) * logf(1.0f - pk);
        probs[k] = p[k];
        dz[k] = scale * (p[k] - t) / (float)m;
    }
    return loss / m;
}

static double mse(float *dz, float *probs, const float *p, int label, int m, cnn_act act,
                  float scale)
{
    double loss = 0.0;
    for (int k = 0; k < m; k++) {
        float e = p[k] - (k == label ? 1.0f : 0.0f);
        loss += 0.5 * (double)e * e;
        probs[k] = p[k];
        dz[k] = scale * e;
    }
    act_backward(dz, p, (size_t)m, act);
    return loss;
}

double loss_forward_backward(float *dz, float *probs, const float *y, const uint8_t *labels, int n,
                             int classes, cnn_loss_kind kind, cnn_act last_act, float scale)
{
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        size_t at = (size_t)i * classes;
        int label = labels ? labels[i] : 0;
        switch (kind) {
        case CNN_LOSS_SOFTMAX_CE:
            total += softmax_ce(dz + at, probs + at, y + at, label, classes, scale);
            break;
        case CNN_LOSS_BCE: total += bce(dz + at, probs + at, y + at, label, classes, scale); break;
        case CNN_LOSS_MSE:
            total += mse(dz + at, probs + at, y + at, label, classes, last_act, scale);
            break;
        }
    }
    return total;
}
