/*
 * Native kernels for the wasm backend: they read and write tensors in place in the WebAssembly heap (the
 * ArrayBuffer of the module's memory), so nothing is copied between JavaScript, wasm and BLAS.
 *
 *   sgemm(heap, batch, m, n, k, transA, transB, aOffset, bOffset, cOffset, aStride, bStride)
 *     C[b] = op(A[b]) op(B[b]) for b < batch, row-major float32; offsets in bytes, strides in floats (0: the same
 *     matrix for every b, as tfjs broadcasts a batch of one). op(A) is m x k, op(B) is k x n, C[b] is m x n.
 *   adamw(heap, pOffset, mOffset, vOffset, gOffset, n, lr, beta1, beta2, oneMinusBeta1, oneMinusBeta2, c1, c2, eps, wd)
 *     one AdamW step on n float32 values in place, each operation rounded to float32 in the order tfjs's ops take
 *     (lib/train/adamw.ts), so the result equals the reference path bit for bit (compiled without FMA contraction)
 *   layerNorm(...), layerNormGrad(...): fused layer norm and its gradient (imrm_layernorm.c)
 *   geluPrep(...), geluGrad(...), softmaxGrad(...), columnSum(...): fused element-wise work (imrm_elementwise.c)
 *   blasInfo() -> { config, core, threads }
 *   setThreads(n)
 */
#include <node_api.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <cblas.h>
#include "imrm_native.h"

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "imrm-native: N-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

int64_t int_arg(napi_env env, napi_value v, int *ok) {
  int64_t out = 0;
  if (napi_get_value_int64(env, v, &out) != napi_ok) *ok = 0;
  return out;
}

/* The call's arguments (exactly `want` of them) and the wasm heap in the first; false after throwing. */
int heap_call(napi_env env, napi_callback_info info, const char *name, size_t want, napi_value *argv, void **heap,
              size_t *heap_bytes) {
  char message[128];
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    snprintf(message, sizeof message, "%s: expected %zu arguments", name, want);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  if (napi_get_arraybuffer_info(env, argv[0], heap, heap_bytes) != napi_ok) {
    snprintf(message, sizeof message, "%s: the first argument must be the wasm heap's ArrayBuffer", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}

static napi_value sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "sgemm", 12, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  int64_t batch = int_arg(env, argv[1], &ok), m = int_arg(env, argv[2], &ok), n = int_arg(env, argv[3], &ok);
  int64_t k = int_arg(env, argv[4], &ok), trans_a = int_arg(env, argv[5], &ok), trans_b = int_arg(env, argv[6], &ok);
  int64_t a_off = int_arg(env, argv[7], &ok), b_off = int_arg(env, argv[8], &ok), c_off = int_arg(env, argv[9], &ok);
  int64_t a_stride = int_arg(env, argv[10], &ok), b_stride = int_arg(env, argv[11], &ok);
  if (!ok || batch < 0 || m < 0 || n < 0 || k < 0 || a_off < 0 || b_off < 0 || c_off < 0 || a_stride < 0 || b_stride < 0) {
    napi_throw_range_error(env, NULL, "sgemm: sizes, offsets and strides must be non-negative integers");
    return NULL;
  }
  /* Every matrix must lie inside the heap: a wrong offset is an error here, never a write elsewhere. */
  const uint64_t bytes = (uint64_t)heap_bytes;
  const uint64_t last = batch > 0 ? (uint64_t)(batch - 1) : 0;
  if (batch > 0 && ((uint64_t)a_off + 4 * (last * a_stride + (uint64_t)(m * k)) > bytes ||
                    (uint64_t)b_off + 4 * (last * b_stride + (uint64_t)(k * n)) > bytes ||
                    (uint64_t)c_off + 4 * ((uint64_t)batch * (uint64_t)(m * n)) > bytes)) {
    napi_throw_range_error(env, NULL, "sgemm: a matrix lies outside the heap");
    return NULL;
  }
  float *a = (float *)((char *)heap + a_off), *b = (float *)((char *)heap + b_off), *c = (float *)((char *)heap + c_off);
  const int lda = trans_a ? (int)m : (int)k, ldb = trans_b ? (int)k : (int)n;
  for (int64_t i = 0; i < batch; i++) {
    if (k == 0) {
      for (int64_t j = 0; j < m * n; j++) c[i * m * n + j] = 0.0f;
      continue;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                a + i * a_stride, lda, b + i * b_stride, ldb, 0.0f, c + i * m * n, (int)n);
  }
  return NULL;
}

static napi_value adamw(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  void *heap = NULL;
  size_t heap_bytes = 0;
  if (!heap_call(env, info, "adamw", 15, argv, &heap, &heap_bytes)) return NULL;
  int ok = 1;
  int64_t off[4];
  for (int i = 0; i < 4; i++) off[i] = int_arg(env, argv[1 + i], &ok);
  int64_t n = int_arg(env, argv[5], &ok);
  double c[9];
  for (int i = 0; i < 9; i++)
    if (napi_get_value_double(env, argv[6 + i], &c[i]) != napi_ok) ok = 0;
  if (!ok || n < 0) {
    napi_throw_range_error(env, NULL, "adamw: offsets and sizes must be non-negative integers, constants numbers");
    return NULL;
  }
  for (int i = 0; i < 4; i++)
    if (off[i] < 0 || (uint64_t)off[i] + 4 * (uint64_t)n > (uint64_t)heap_bytes) {
      napi_throw_range_error(env, NULL, "adamw: a tensor lies outside the heap");
      return NULL;
    }
  float *p = (float *)((char *)heap + off[0]), *m = (float *)((char *)heap + off[1]);
  float *v = (float *)((char *)heap + off[2]), *g = (float *)((char *)heap + off[3]);
  const float lr = (float)c[0], b1 = (float)c[1], b2 = (float)c[2], omb1 = (float)c[3], omb2 = (float)c[4];
  const float c1 = (float)c[5], c2 = (float)c[6], eps = (float)c[7], wd = (float)c[8];
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * omb1;
    const float vi = v[i] * b2 + (gi * gi) * omb2;
    m[i] = mi;
    v[i] = vi;
    float update = (mi / c1) / (sqrtf(vi / c2) + eps);
    if (wd != 0.0f) update = update + p[i] * wd;
    p[i] = p[i] - update * lr;
  }
  return NULL;
}

static napi_value blas_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, config, core, threads;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &config));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &core));
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &threads));
  CHECK(napi_set_named_property(env, out, "config", config));
  CHECK(napi_set_named_property(env, out, "core", core));
  CHECK(napi_set_named_property(env, out, "threads", threads));
  return out;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_range_error(env, NULL, "setThreads: expected a positive integer");
    return NULL;
  }
  openblas_set_num_threads(n);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"geluPrep", NULL, gelu_prep, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, gelu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxGrad", NULL, softmax_grad, NULL, NULL, NULL, napi_default, NULL},
      {"columnSum", NULL, column_sum, NULL, NULL, NULL, napi_default, NULL},
      {"blasInfo", NULL, blas_info, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
