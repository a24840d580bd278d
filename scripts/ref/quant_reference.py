#!/usr/bin/env python3
"""Reference bytes for hearth's quantizers, produced by llama.cpp's own ggml.

Run in the reference venv (llama-cpp-python + numpy):
    /opt/ref/venv/bin/python scripts/ref/quant_reference.py [tests/data/quant/reference.json]

It regenerates the deterministic inputs of tests/quant/quant_test_data.hpp (splitmix64, same
recipe, bit-identical float32 values), quantizes them with the libggml-base bundled in the
installed llama_cpp package -- ggml_quantize_chunk(type, src, dst, 0, nrows, n_per_row,
imatrix=NULL), exactly what llama.cpp writes when it quantizes a tensor without an importance
matrix; q8_1 and q8_K (activation formats ggml_quantize_chunk does not take) through
quantize_row_q8_1_ref / quantize_row_q8_K_ref -- and records the SHA-256 of the bytes (whole and
per row), the first block in hex, and the SHA-256 of ggml's dequantization of those bytes
(dequantize_row_* / ggml_*_to_fp32_row), for tests/quant/test_reference.cpp to compare against.
"""
import ctypes
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import llama_cpp

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self) -> np.float32:
        return np.float32((self.next() >> 40) - (1 << 23)) * np.float32(2.0 ** -23)


def generate(seed: int, n: int) -> np.ndarray:
    """quant_test::generate: 32-element groups of mixed kinds and amplitudes."""
    rng = SplitMix64(seed)
    x = np.zeros(n, dtype=np.float32)
    for g in range(0, n - 31, 32):
        z = rng.next()
        kind = z % 16
        amp = np.float32(2.0 ** (((z >> 8) % 17) - 8))
        if kind == 0:
            pass
        elif kind == 1:
            x[g + (z >> 16) % 32] = rng.uniform() * amp
        elif kind == 2:
            x[g:g + 32] = rng.uniform() * amp
        elif kind == 3:
            for i in range(32):
                x[g + i] = np.abs(rng.uniform()) * amp
        elif kind == 4:
            for i in range(32):
                x[g + i] = -np.abs(rng.uniform()) * amp
        elif kind == 5:
            for i in range(32):
                x[g + i] = rng.uniform() * np.float32(2.0 ** -60)
        else:
            for i in range(32):
                x[g + i] = rng.uniform() * amp
    return x


def generate_plain(seed: int, n: int) -> np.ndarray:
    """quant_test::generate_plain: uniform data, one amplitude per 256 elements."""
    rng = SplitMix64(seed)
    x = np.zeros(n, dtype=np.float32)
    for g in range(0, n, 256):
        amp = np.float32(2.0 ** ((rng.next() % 9) - 4))
        for i in range(g, min(g + 256, n)):
            x[i] = rng.uniform() * amp
    return x


# name -> (ggml type id, elements per block, bytes per block, dequantizer symbol or None)
FORMATS = {
    "f16": (1, 1, 2, "ggml_fp16_to_fp32_row"),
    "bf16": (30, 1, 2, "ggml_bf16_to_fp32_row"),
    "q4_0": (2, 32, 18, "dequantize_row_q4_0"),
    "q4_1": (3, 32, 20, "dequantize_row_q4_1"),
    "q5_0": (6, 32, 22, "dequantize_row_q5_0"),
    "q5_1": (7, 32, 24, "dequantize_row_q5_1"),
    "q8_0": (8, 32, 34, "dequantize_row_q8_0"),
    "q8_1": (9, 32, 36, None),
    "q2_K": (10, 256, 84, "dequantize_row_q2_K"),
    "q3_K": (11, 256, 110, "dequantize_row_q3_K"),
    "q4_K": (12, 256, 144, "dequantize_row_q4_K"),
    "q5_K": (13, 256, 176, "dequantize_row_q5_K"),
    "q6_K": (14, 256, 210, "dequantize_row_q6_K"),
    "q8_K": (15, 256, 292, "dequantize_row_q8_K"),
    "iq4_nl": (20, 32, 18, "dequantize_row_iq4_nl"),
}

DATASETS = {
    # name: (generator, seed, nrows, n_per_row)
    "mixed": (generate, 0x6865617274682D71, 16, 2048),
    "plain": (generate_plain, 0x6865617274682D70, 16, 2048),
}


def load_ggml():
    lib = ctypes.CDLL(str(Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    lib.ggml_quantize_init.argtypes = [ctypes.c_int]
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    for sym in ("quantize_row_q8_1_ref", "quantize_row_q8_K_ref"):
        getattr(lib, sym).argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    for _, _, _, sym in FORMATS.values():
        if sym:
            getattr(lib, sym).argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return lib


def quantize(lib, name: str, x: np.ndarray, nrows: int, n_per_row: int) -> bytes:
    type_id, block_elems, block_bytes, _ = FORMATS[name]
    dst = np.zeros(nrows * n_per_row // block_elems * block_bytes, dtype=np.uint8)
    src = np.ascontiguousarray(x, dtype=np.float32)
    if name in ("q8_1", "q8_K"):
        getattr(lib, f"quantize_row_{name}_ref")(src.ctypes.data, dst.ctypes.data, src.size)
    else:
        lib.ggml_quantize_init(type_id)
        written = lib.ggml_quantize_chunk(type_id, src.ctypes.data, dst.ctypes.data, 0, nrows, n_per_row, None)
        assert written == dst.size, (name, written, dst.size)
    return dst.tobytes()


def dequantize(lib, name: str, q: bytes, n: int):
    sym = FORMATS[name][3]
    if sym is None:
        return None
    src = np.frombuffer(q, dtype=np.uint8).copy()
    out = np.zeros(n, dtype=np.float32)
    getattr(lib, sym)(src.ctypes.data, out.ctypes.data, n)
    return out.tobytes()


def main() -> None:
    out_path = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/quant/reference.json")
    lib = load_ggml()
    data = {name: gen(seed, nrows * n_per_row) for name, (gen, seed, nrows, n_per_row) in DATASETS.items()}
    result = {
        "about": "ggml bytes for hearth's quantizers; made by scripts/ref/quant_reference.py with llama-cpp-python "
                 + llama_cpp.__version__,
        "datasets": {name: {"generator": gen.__name__, "seed": seed, "nrows": nrows, "n_per_row": n_per_row,
                            "input_sha256": hashlib.sha256(data[name].tobytes()).hexdigest()}
                     for name, (gen, seed, nrows, n_per_row) in DATASETS.items()},
        "formats": {},
    }
    for fmt, (_, block_elems, block_bytes, _) in FORMATS.items():
        entry = {}
        for ds, (_, _, nrows, n_per_row) in DATASETS.items():
            q = quantize(lib, fmt, data[ds], nrows, n_per_row)
            row_len = n_per_row // block_elems * block_bytes
            deq = dequantize(lib, fmt, q, nrows * n_per_row)
            entry[ds] = {
                "sha256": hashlib.sha256(q).hexdigest(),
                "row_sha256": [hashlib.sha256(q[r * row_len:(r + 1) * row_len]).hexdigest() for r in range(nrows)],
                "first_block": q[:block_bytes].hex(),
                "dequantized_sha256": hashlib.sha256(deq).hexdigest() if deq is not None else None,
            }
        result["formats"][fmt] = entry
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out_path} ({out_path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
