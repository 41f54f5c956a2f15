#!/bin/sh
# Break each layer kind's backward pass on purpose, one mutation at a time
# (and the forward choices the check takes from the engine), and check that test_gradcheck fails under every OpenBLAS kernel family a
# user may have. Works on a copy of the tree in a temporary folder; prints
# one line per mutation and kernel with the check's first complaint, and
# exits 1 if any mutation survives under any kernel.
#   tools/mutate-gradcheck.sh [KERNEL...]   (default: unset Haswell SkylakeX Zen Prescott)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
kernels=${*:-unset Haswell SkylakeX Zen Prescott}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/meson.build" "$root/meson_options.txt" "$root/src" "$root/include" \
    "$root/tests" "$root/bench" "$root/tools" "$work/"
meson setup "$work/build" "$work" > "$work/setup.log" 2>&1 ||
    { cat "$work/setup.log" >&2; exit 1; }

# file|what it breaks|sed expression
mutations='src/kernels/conv.c|conv input gradient: kernels not rotated|s/\* KK + KK - 1 - k\]/* KK + k]/
src/kernels/conv.c|conv kernel gradient: read untransposed|s/float v = s->dwt\[(size_t)k \* F + f\]/float v = s->dwt[(size_t)f * K + k]/
src/kernels/conv.c|conv bias gradient: last position left out|s/for (int q = 0; q < P; q++) sum += plane\[q\]/for (int q = 0; q < P - 1; q++) sum += plane[q]/
src/kernels/im2col.c|strided conv input gradient: last dz column left out|s/else for (int xx = 0; xx < p->w; xx++)/else for (int xx = 0; xx < p->w - 1; xx++)/
src/kernels/dense.c|dense weight gradient: first image only|s/CblasTrans, CblasNoTrans, no, ni, p->n,/CblasTrans, CblasNoTrans, no, ni, 1,/
src/kernels/dense.c|dense input gradient: 0.1% too large|s/params + L->w_off, ni, 0.0f, g->din, ni)/params + L->w_off, ni, 0.0f, g->din, ni); for (size_t e = 0; e < (size_t)p->n * ni; e++) g->din[e] *= 1.001f/
src/kernels/pool.c|max/min pool: every image scattered by the first image'"'"'s mask|s/dimg\[mask\[i \* out_size + o\]\]/dimg[mask[o]]/
src/kernels/pool.c|avgpool 2x2: one input of four left out|s/at\[0\] = at\[1\] = at\[W\] = at\[W + 1\] = share/at[0] = at[1] = at[W] = share/
src/kernels/pool.c|avgpool, overlapping: overlaps overwritten, not added|s/plane\[(oy \* s + y) \* W + ox \* s + x\] += share/plane[(oy * s + y) * W + ox * s + x] = share/
src/kernels/dropout.c|dropout: kept elements not scaled|s/g->din\[e\] = mask\[e\] ? g->dout\[e\] \* scale/g->din[e] = mask[e] ? g->dout[e]/
src/kernels/act.c|relu: passes the gradient where y = 0|s/d\[i\] = y\[i\] > 0.0f ? d\[i\]/d[i] = y[i] >= 0.0f ? d[i]/
src/kernels/act.c|sigmoid: derivative 0.1% too large|s/d\[i\] \*= y\[i\] \* (1.0f - y\[i\])/d[i] *= y[i] * (1.0f - y[i]) * 1.001f/
src/kernels/act.c|tanh: 1 - y instead of 1 - y^2|s/d\[i\] \*= 1.0f - y\[i\] \* y\[i\]/d[i] *= 1.0f - y[i]/
src/kernels/loss.c|softmax cross-entropy: 0.1% too large|s/dz\[k\] = scale \* (probs\[k\] - (k == label ? 1.0f : 0.0f))/dz[k] = 1.001f * scale * (probs[k] - (k == label ? 1.0f : 0.0f))/
src/kernels/loss.c|binary cross-entropy: not divided by the outputs|s/dz\[k\] = scale \* (p\[k\] - t) \/ (float)m/dz[k] = scale * (p[k] - t)/
src/kernels/loss.c|mean squared error: twice the gradient|s/dz\[k\] = scale \* e;/dz[k] = 2 * scale * e;/
src/kernels/pool.c|maxpool 2x2 forward: the first of the window, not its max|s/if (kind == CNN_MAXPOOL ? plane\[k\[j\]\] > plane\[at\]/if (kind == CNN_MAXPOOL ? 0/
src/kernels/act.c|leaky: gradient below 0 1% short of the slope|s/d\[i\] = y\[i\] > 0.0f ? d\[i\] : a.slope \* d\[i\]/d[i] = y[i] > 0.0f ? d[i] : 0.99f * a.slope * d[i]/
src/kernels/act.c|leaky forward: ReLU (the slope left out)|s/x\[i\] = x\[i\] > 0.0f ? x\[i\] : a.slope \* x\[i\]/x[i] = x[i] > 0.0f ? x[i] : 0.0f/
src/kernels/act.c|relu forward: stops inputs up to 0.1|s/x\[i\] = x\[i\] > 0.0f ? x\[i\] : 0.0f/x[i] = x[i] > 0.1f ? x[i] : 0.0f/
src/kernels/norm.c|batchnorm input gradient: the mean of dz not taken off|s/(dz\[k\] - t->mean_dz - /(dz[k] - /
src/kernels/norm.c|batchnorm scale gradient: 0.1% too large|s/+ (float)sum_dz_xhat;/+ 1.001f * (float)sum_dz_xhat;/
src/kernels/norm.c|batchnorm forward: the variance over one value fewer|s/batch\[C + c\] = (float)(squares \/ count)/batch[C + c] = (float)(squares \/ (count - 1))/
src/net/net.c|graph: a second input gradient replaces the first|s/    if (sum) add_into(gs->of\[src + 1\], g, len);/    if (0) add_into(gs->of[src + 1], g, len);/
src/net/net.c|graph: a layer'"'"'s input gradient not added to a summed output|s/            if (sum) add_into(gs.of\[L->from\[0\] + 1\], din/            if (0) add_into(gs.of[L->from[0] + 1], din/'

# the kernel families as OPENBLAS_CORETYPE names them ("unset": OpenBLAS's own pick)
run_gradcheck() {   # KERNEL: run the test under it, its complaints into $work/err
    if [ "$1" = unset ]; then set -- env -u OPENBLAS_CORETYPE; else set -- env OPENBLAS_CORETYPE="$1"; fi
    "$@" OPENBLAS_NUM_THREADS=1 "$work/build/tests/test_gradcheck" > /dev/null 2> "$work/err"
}
ninja -C "$work/build" tests/test_gradcheck > "$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; exit 1; }
for k in $kernels; do   # unbroken, it must pass, or "caught" would mean nothing
    run_gradcheck "$k" || { echo "unmutated test_gradcheck fails under $k:" >&2; cat "$work/err" >&2; exit 1; }
done
: > "$work/results"
while IFS='|' read -r file what expr; do
    cp "$work/$file" "$work/pristine"
    sed -i "$expr" "$work/$file"
    if cmp -s "$work/$file" "$work/pristine"; then
        echo "mutation no longer applies to $file: $what" >&2
        exit 1
    fi
    if ! ninja -C "$work/build" tests/test_gradcheck > "$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        exit 1
    fi
    for k in $kernels; do
        if run_gradcheck "$k"; then
            echo "SURVIVED  $k  $what" | tee -a "$work/results"
        else
            printf 'caught    %-8s %s: %s\n' "$k" "$what" "$(head -c 160 "$work/err" | head -n 1)"
        fi
    done
    cp "$work/pristine" "$work/$file"
done <<MUTATIONS
$mutations
MUTATIONS
! grep -q '^SURVIVED' "$work/results"
