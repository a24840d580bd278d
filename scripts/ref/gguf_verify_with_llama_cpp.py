#!/usr/bin/env python3
"""Checks that GGUF files (e.g. written by hearth's gguf::writer) load in llama.cpp's own readers.

For each path: ggml's C loader (gguf_init_from_file from the libggml-base that llama-cpp-python
ships, called through ctypes) and gguf-py's GGUFReader both open the file; the keys, tensor names,
types and offsets they report are printed. Exits 1 if either reader refuses a file.

    /opt/ref/venv/bin/python scripts/ref/gguf_verify_with_llama_cpp.py build/h-gguf/gguf_roundtrip.gguf
"""
import ctypes
import sys
from pathlib import Path

import llama_cpp
from gguf import GGUFReader


class GgufInitParams(ctypes.Structure):
    _fields_ = [("no_alloc", ctypes.c_bool), ("ctx", ctypes.c_void_p)]


def load_ggml():
    lib = ctypes.CDLL(str(Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    lib.gguf_init_from_file.restype = ctypes.c_void_p
    lib.gguf_init_from_file.argtypes = [ctypes.c_char_p, GgufInitParams]
    lib.gguf_free.argtypes = [ctypes.c_void_p]
    for fn in ("gguf_get_n_kv", "gguf_get_n_tensors"):
        getattr(lib, fn).restype = ctypes.c_int64
        getattr(lib, fn).argtypes = [ctypes.c_void_p]
    lib.gguf_get_key.restype = ctypes.c_char_p
    lib.gguf_get_key.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.gguf_get_kv_type.restype = ctypes.c_int
    lib.gguf_get_kv_type.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.gguf_get_tensor_name.restype = ctypes.c_char_p
    lib.gguf_get_tensor_name.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.gguf_get_tensor_type.restype = ctypes.c_int
    lib.gguf_get_tensor_type.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.gguf_get_tensor_offset.restype = ctypes.c_size_t
    lib.gguf_get_tensor_offset.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.gguf_get_data_offset.restype = ctypes.c_size_t
    lib.gguf_get_data_offset.argtypes = [ctypes.c_void_p]
    lib.gguf_get_alignment.restype = ctypes.c_size_t
    lib.gguf_get_alignment.argtypes = [ctypes.c_void_p]
    return lib


def check(lib, path: str) -> bool:
    ok = True
    ctx = lib.gguf_init_from_file(path.encode(), GgufInitParams(True, None))
    if not ctx:
        print(f"{path}: ggml's gguf_init_from_file REFUSED the file")
        ok = False
    else:
        n_kv, n_t = lib.gguf_get_n_kv(ctx), lib.gguf_get_n_tensors(ctx)
        print(f"{path}: ggml loads it: {n_kv} keys, {n_t} tensors, alignment {lib.gguf_get_alignment(ctx)}, "
              f"data at {lib.gguf_get_data_offset(ctx)}")
        for i in range(n_kv):
            print(f"  kv  {lib.gguf_get_key(ctx, i).decode()}  type {lib.gguf_get_kv_type(ctx, i)}")
        for i in range(n_t):
            print(f"  ten {lib.gguf_get_tensor_name(ctx, i).decode()}  type {lib.gguf_get_tensor_type(ctx, i)}  "
                  f"offset {lib.gguf_get_tensor_offset(ctx, i)}")
        lib.gguf_free(ctx)
    try:
        r = GGUFReader(path)
        print(f"{path}: gguf-py loads it: {len(r.fields)} fields, {len(r.tensors)} tensors")
        for t in r.tensors:
            print(f"  py  {t.name}  {t.tensor_type.name}  shape {list(map(int, t.shape))}")
    except Exception as e:  # noqa: BLE001 - report any refusal
        print(f"{path}: gguf-py REFUSED the file: {e}")
        ok = False
    return ok


def main() -> int:
    lib = load_ggml()
    results = [check(lib, p) for p in sys.argv[1:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
