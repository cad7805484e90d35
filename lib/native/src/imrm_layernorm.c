/*
 * Layer norm over the rows of an (n, d) float32 matrix in the wasm heap, forward and backward, each one pass per row
 * instead of the ~10 wasm kernels of the op-by-op form (lib/model/kernels.ts). Every value is rounded to float32 in
 * the order the op-by-op form rounds it on the wasm backend (sums from 0 left to right, as its Sum and Mean kernels
 * do; 1 / sqrtf as its Rsqrt; no FMA contraction), so the two agree bit for bit (tests/native.test.ts).
 *
 *   layerNorm(heap, n, d, eps, x, gain, bias, y, xhat, rstd)
 *     xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps) (n values), y = xhat * gain + bias
 *   layerNormGrad(heap, n, d, dy, xhat, rstd, gain, dx, dgain, dbias)
 *     dx = ((dy g - mean(dy g)) - xhat mean(dy g xhat)) rstd; dgain, dbias: column sums of dy xhat and dy, in blocks
 *     of 32 rows when n >= 64 and n % 32 == 0 (the two-step column sum of kernels.ts), else in one run
 * Offsets in bytes.
 */
#include <math.h>
#include <stdint.h>
#include "imrm_native.h"

/* Reads `count` offsets after the sizes; checks that each of the `count` tensors of `sizes[i]` floats lies in the heap. */
static int tensors_in_heap(napi_env env, const char *name, napi_value *argv, int first, int count, const uint64_t *sizes, size_t heap_bytes,
                           int64_t *offsets) {
  int ok = 1;
  for (int i = 0; i < count; i++) {
    offsets[i] = int_arg(env, argv[first + i], &ok);
    if (!ok || offsets[i] < 0 || (uint64_t)offsets[i] + 4 * sizes[i] > (uint64_t)heap_bytes) {
      napi_throw_range_error(env, NULL, name);
      return 0;
    }
  }
  return 1;
}

napi_value layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "layerNorm", 10, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  const int64_t n = int_arg(env, argv[1], &ok), d = int_arg(env, argv[2], &ok);
  double eps_d = 0;
  if (napi_get_value_double(env, argv[3], &eps_d) != napi_ok || !ok || n < 0 || d <= 0) {
    napi_throw_range_error(env, NULL, "layerNorm: n >= 0, d > 0 and eps a number");
    return NULL;
  }
  const uint64_t nd = (uint64_t)(n * d), sizes[6] = {nd, (uint64_t)d, (uint64_t)d, nd, nd, (uint64_t)n};
  int64_t off[6];
  if (!tensors_in_heap(env, "layerNorm: a tensor lies outside the heap", argv, 4, 6, sizes, heap_bytes, off)) return NULL;
  char *base = (char *)heap;
  const float *x = (const float *)(base + off[0]), *g = (const float *)(base + off[1]), *b = (const float *)(base + off[2]);
  float *y = (float *)(base + off[3]), *xhat = (float *)(base + off[4]), *rstd = (float *)(base + off[5]);
  const float eps = (float)eps_d, fd = (float)d;
  for (int64_t i = 0; i < n; i++) {
    const float *xr = x + i * d;
    float *hr = xhat + i * d, *yr = y + i * d;
    float sum = 0.0f;
    for (int64_t j = 0; j < d; j++) sum += xr[j];
    const float mean = sum / fd;
    float squares = 0.0f;
    for (int64_t j = 0; j < d; j++) {
      const float c = xr[j] - mean;
      hr[j] = c;
      const float c2 = c * c;
      squares += c2;
    }
    const float var_eps = squares / fd + eps;
    const float r = 1.0f / sqrtf(var_eps);
    rstd[i] = r;
    for (int64_t j = 0; j < d; j++) {
      const float h = hr[j] * r;
      hr[j] = h;
      const float scaled = h * g[j];
      yr[j] = scaled + b[j];
    }
  }
  return NULL;
}

napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "layerNormGrad", 10, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  const int64_t n = int_arg(env, argv[1], &ok), d = int_arg(env, argv[2], &ok);
  if (!ok || n < 0 || d <= 0) {
    napi_throw_range_error(env, NULL, "layerNormGrad: n >= 0 and d > 0");
    return NULL;
  }
  const uint64_t nd = (uint64_t)(n * d), sizes[7] = {nd, nd, (uint64_t)n, (uint64_t)d, nd, (uint64_t)d, (uint64_t)d};
  int64_t off[7];
  if (!tensors_in_heap(env, "layerNormGrad: a tensor lies outside the heap", argv, 3, 7, sizes, heap_bytes, off)) return NULL;
  char *base = (char *)heap;
  const float *dy = (const float *)(base + off[0]), *xhat = (const float *)(base + off[1]), *rstd = (const float *)(base + off[2]);
  const float *g = (const float *)(base + off[3]);
  float *dx = (float *)(base + off[4]), *dg = (float *)(base + off[5]), *db = (float *)(base + off[6]);
  const float fd = (float)d;
  for (int64_t i = 0; i < n; i++) {
    const float *dyr = dy + i * d, *hr = xhat + i * d;
    float *dxr = dx + i * d;
    float s1 = 0.0f, s2 = 0.0f;
    for (int64_t j = 0; j < d; j++) {
      const float dh = dyr[j] * g[j];
      dxr[j] = dh; /* dxhat, kept until the means are known */
      s1 += dh;
      const float p = dh * hr[j];
      s2 += p;
    }
    const float m1 = s1 / fd, m2 = s2 / fd, r = rstd[i];
    for (int64_t j = 0; j < d; j++) {
      const float centred = dxr[j] - m1;
      const float along = hr[j] * m2;
      const float t = centred - along;
      dxr[j] = t * r;
    }
  }
  /* Column sums in the order of kernels.ts's columnSum on wasm: blocks of 32 rows summed first, then the blocks. */
  const int64_t block = (n >= 64 && n % 32 == 0) ? 32 : n;
  for (int64_t j = 0; j < d; j++) {
    float total_g = 0.0f, total_b = 0.0f;
    for (int64_t start = 0; start < n; start += block) {
      float part_g = 0.0f, part_b = 0.0f;
      for (int64_t i = start; i < start + block; i++) {
        const float p = dy[i * d + j] * xhat[i * d + j];
        part_g += p;
        part_b += dy[i * d + j];
      }
      if (block == n) {
        total_g = part_g;
        total_b = part_b;
      } else {
        total_g += part_g;
        total_b += part_b;
      }
    }
    dg[j] = total_g;
    db[j] = total_b;
  }
  return NULL;
}
