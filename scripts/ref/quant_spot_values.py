#!/usr/bin/env python3
"""Dequantization spot values from real GGUF files, by llama.cpp's own Python implementation.

Run in the reference venv (the `gguf` package, numpy):
    /opt/ref/venv/bin/python scripts/ref/quant_spot_values.py [tests/data/quant/spot_values.json]

For each model below that is present, for every tensor dtype the file holds, it takes up to three
tensors of that dtype (the first, middle and last in file order) and records a handful of
(row, col, value) triples dequantized by gguf.quants.dequantize, with the value's float32 bits.
tests/quant/test_spot_values.cpp reads the same tensors through hearth's GGUF reader, dequantizes
the rows with hearth::quant::dequantize_row and compares bit for bit (same float math, same order).
Shared models live in ../shared/models; cached ones come from `python3 scripts/fetch-models build/models`.
"""
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf.quants import dequantize

ROOT = Path(__file__).resolve().parents[2]
MODELS = [
    # (file name, where the tests look for it, path used here)
    ("llama-2-tiny-random.gguf", "shared", ROOT.parent / "shared" / "models" / "llama-2-tiny-random.gguf"),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "cache", ROOT / "build" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"),
    ("gemma-3-270m-q4_k_m.gguf", "cache", ROOT / "build" / "models" / "gemma-3-270m-q4_k_m.gguf"),
]
POINTS_PER_TENSOR = 6


def positions(rows: int, cols: int, salt: int):
    """First and last element, then pseudo-random ones (a 64-bit LCG, deterministic)."""
    pts = [(0, 0), (rows - 1, cols - 1)]
    s = (salt * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
    while len(pts) < POINTS_PER_TENSOR:
        s = (s * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        pts.append(((s >> 33) % rows, (s >> 13) % cols))
    return pts


def tensor_rows(t) -> np.ndarray:
    """The tensor's data as (rows, bytes-or-elements per row), rows in ggml order."""
    ne0 = int(t.shape[0])
    rows = int(np.prod([int(n) for n in t.shape[1:]])) if len(t.shape) > 1 else 1
    data = np.asarray(t.data)
    return data.reshape(rows, -1), rows, ne0


def main() -> None:
    out_path = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "tests" / "data" / "quant" / "spot_values.json")
    result = {"about": "gguf-py " + version("gguf") + " dequantize on real files; "
                       "made by scripts/ref/quant_spot_values.py", "models": []}
    for file_name, location, path in MODELS:
        if not path.exists():
            print(f"skip {file_name}: not found at {path}")
            continue
        reader = gguf.GGUFReader(str(path))
        by_type = {}
        for t in reader.tensors:
            by_type.setdefault(t.tensor_type.name, []).append(t)
        tensors = []
        for type_name, ts in sorted(by_type.items()):
            picks = sorted({0, len(ts) // 2, len(ts) - 1})
            for k in picks:
                t = ts[k]
                data, rows, cols = tensor_rows(t)
                values = []
                for row, col in positions(rows, cols, salt=len(tensors) + 1):
                    row_values = dequantize(data[row], t.tensor_type).reshape(-1)
                    assert row_values.size == cols, (t.name, row_values.size, cols)
                    v = np.float32(row_values[col])
                    values.append([int(row), int(col), f"0x{v.view(np.uint32):08x}", float(v)])
                tensors.append({"name": t.name, "type": type_name.lower(),
                                "ne": [int(n) for n in t.shape], "values": values})
        result["models"].append({"file": file_name, "location": location, "tensors": tensors})
        print(f"{file_name}: {len(tensors)} tensors, types {sorted(by_type)}")
    out_path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out_path} ({out_path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
