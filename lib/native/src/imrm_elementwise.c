/*
 * Fused element-wise kernels on the wasm heap for the GELU and the attention softmax of lib/model/kernels.ts, each
 * rounding every value as the op-by-op form does on the wasm backend (no FMA contraction; the constants arrive
 * already rounded to float32), so they replace those ops bit for bit (tests/native.test.ts).
 *
 *   geluPrep(heap, size, x, arg, du, a, c3a, c, c2)
 *     arg = (x + x^3 a) c2, du = (x^2 c3a + 1) c: the sigmoid's argument and u' of GELU through sigmoid(2u)
 *   geluGrad(heap, size, dy, x, s, du, dx)
 *     dx = dy (s + x s (1 - s) du 2), s = sigmoid(arg)
 *   softmaxGrad(heap, rows, cols, scale, dp, p, ds)
 *     ds = p (dp - rowsum(dp p)) scale, per row of cols values
 *   columnSum(heap, n, d, x, out)
 *     the sums of the d columns of x (n, d), in blocks of 32 rows when n >= 64 and n % 32 == 0, as kernels.ts's
 *     columnSum sums them on wasm (its two reductions each from 0, left to right)
 * Offsets in bytes; sizes in floats.
 */
#include <stdint.h>
#include "imrm_native.h"

/* Offsets of `count` tensors of `size` floats each, from argv[first]; false after throwing when one lies outside. */
static int offsets_in_heap(napi_env env, const char *message, napi_value *argv, int first, int count, uint64_t size, size_t heap_bytes,
                           int64_t *off) {
  int ok = 1;
  for (int i = 0; i < count; i++) {
    off[i] = int_arg(env, argv[first + i], &ok);
    if (!ok || off[i] < 0 || (uint64_t)off[i] + 4 * size > (uint64_t)heap_bytes) {
      napi_throw_range_error(env, NULL, message);
      return 0;
    }
  }
  return 1;
}

static int float_args(napi_env env, napi_value *argv, int first, int count, float *out) {
  for (int i = 0; i < count; i++) {
    double v = 0;
    if (napi_get_value_double(env, argv[first + i], &v) != napi_ok) return 0;
    out[i] = (float)v;
  }
  return 1;
}

napi_value gelu_prep(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "geluPrep", 9, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  const int64_t size = int_arg(env, argv[1], &ok);
  float k[4];
  if (!ok || size < 0 || !float_args(env, argv, 5, 4, k)) {
    napi_throw_range_error(env, NULL, "geluPrep: size >= 0 and four constants");
    return NULL;
  }
  int64_t off[3];
  if (!offsets_in_heap(env, "geluPrep: a tensor lies outside the heap", argv, 2, 3, (uint64_t)size, heap_bytes, off)) return NULL;
  const float *x = (const float *)((char *)heap + off[0]);
  float *arg = (float *)((char *)heap + off[1]), *du = (float *)((char *)heap + off[2]);
  const float a = k[0], c3a = k[1], c = k[2], c2 = k[3];
  for (int64_t i = 0; i < size; i++) {
    const float xi = x[i];
    const float sq = xi * xi;
    const float t = sq * c3a;
    const float t1 = t + 1.0f;
    du[i] = t1 * c;
    const float cube = sq * xi;
    const float ca = cube * a;
    const float u = xi + ca;
    arg[i] = u * c2;
  }
  return NULL;
}

napi_value gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "geluGrad", 7, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  const int64_t size = int_arg(env, argv[1], &ok);
  if (!ok || size < 0) {
    napi_throw_range_error(env, NULL, "geluGrad: size >= 0");
    return NULL;
  }
  int64_t off[5];
  if (!offsets_in_heap(env, "geluGrad: a tensor lies outside the heap", argv, 2, 5, (uint64_t)size, heap_bytes, off)) return NULL;
  const float *dy = (const float *)((char *)heap + off[0]), *x = (const float *)((char *)heap + off[1]);
  const float *s = (const float *)((char *)heap + off[2]), *du = (const float *)((char *)heap + off[3]);
  float *dx = (float *)((char *)heap + off[4]);
  for (int64_t i = 0; i < size; i++) {
    const float xs = x[i] * s[i];
    const float one_minus = 1.0f - s[i];
    const float t = xs * one_minus;
    const float t2 = t * du[i];
    const float t3 = t2 * 2.0f;
    const float inner = s[i] + t3;
    dx[i] = dy[i] * inner;
  }
  return NULL;
}

napi_value softmax_grad(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "softmaxGrad", 7, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  const int64_t rows = int_arg(env, argv[1], &ok), cols = int_arg(env, argv[2], &ok);
  float scale = 0;
  if (!ok || rows < 0 || cols < 0 || !float_args(env, argv, 3, 1, &scale)) {
    napi_throw_range_error(env, NULL, "softmaxGrad: rows, cols >= 0 and a scale");
    return NULL;
  }
  int64_t off[3];
  if (!offsets_in_heap(env, "softmaxGrad: a tensor lies outside the heap", argv, 4, 3, (uint64_t)(rows * cols), heap_bytes, off)) return NULL;
  const float *dp = (const float *)((char *)heap + off[0]), *p = (const float *)((char *)heap + off[1]);
  float *ds = (float *)((char *)heap + off[2]);
  for (int64_t r = 0; r < rows; r++) {
    const float *dpr = dp + r * cols, *pr = p + r * cols;
    float *dsr = ds + r * cols;
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; j++) {
      const float m = dpr[j] * pr[j];
      sum += m;
    }
    for (int64_t j = 0; j < cols; j++) {
      const float t = dpr[j] - sum;
      const float u = pr[j] * t;
      dsr[j] = u * scale;
    }
  }
  return NULL;
}

napi_value column_sum(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "columnSum", 5, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  const int64_t n = int_arg(env, argv[1], &ok), d = int_arg(env, argv[2], &ok);
  int64_t x_off = int_arg(env, argv[3], &ok), out_off = int_arg(env, argv[4], &ok);
  if (!ok || n < 0 || d < 0 || x_off < 0 || out_off < 0 || (uint64_t)x_off + 4 * (uint64_t)(n * d) > (uint64_t)heap_bytes ||
      (uint64_t)out_off + 4 * (uint64_t)d > (uint64_t)heap_bytes) {
    napi_throw_range_error(env, NULL, "columnSum: sizes must be non-negative and both tensors inside the heap");
    return NULL;
  }
  const float *x = (const float *)((char *)heap + x_off);
  float *out = (float *)((char *)heap + out_off);
  const int64_t block = (n >= 64 && n % 32 == 0) ? 32 : n;
  for (int64_t j = 0; j < d; j++) out[j] = 0.0f;
  if (n == 0) return NULL;
  /* Row-major passes (each block's partial sums kept in `partial`) give the same sums as column by column. */
  for (int64_t start = 0; start < n; start += block) {
    for (int64_t j = 0; j < d; j++) {
      float partial = 0.0f;
      for (int64_t i = start; i < start + block; i++) partial += x[i * d + j];
      out[j] = block == n ? partial : out[j] + partial;
    }
  }
  return NULL;
}
