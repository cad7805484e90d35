{
  "targets": [
    {
      "target_name": "imrm_native",
      "sources": ["src/imrm_native.c", "src/imrm_layernorm.c", "src/imrm_elementwise.c"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "<!@(pkg-config --cflags openblas)"],
      "libraries": ["<!@(pkg-config --libs openblas)", "-lm"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
