/* Shared by the addon's source files: argument helpers (imrm_native.c) and the kernels of the other files. */
#ifndef IMRM_NATIVE_H
#define IMRM_NATIVE_H
#include <node_api.h>
#include <stdint.h>

/* An integer argument; clears *ok when it is not one. */
int64_t int_arg(napi_env env, napi_value v, int *ok);
/* The call's arguments (exactly `want` of them) and the wasm heap in the first; false after throwing. */
int heap_call(napi_env env, napi_callback_info info, const char *name, size_t want, napi_value *argv, void **heap, size_t *heap_bytes);

napi_value layer_norm(napi_env env, napi_callback_info info);
napi_value layer_norm_grad(napi_env env, napi_callback_info info);
napi_value gelu_prep(napi_env env, napi_callback_info info);
napi_value gelu_grad(napi_env env, napi_callback_info info);
napi_value softmax_grad(napi_env env, napi_callback_info info);
napi_value column_sum(napi_env env, napi_callback_info info);
#endif
