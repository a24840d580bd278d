#!/usr/bin/env python3
"""Writes tests/data/gguf/gguf_py_every_type.gguf with llama.cpp's own Python GGUF writer (gguf-py).

The file holds every metadata value type (arrays of numbers, strings and bools; nested arrays),
a custom general.alignment of 64, and tensors of several dtypes with deterministic contents.
tests/gguf/test_gguf_py_reference.cpp reads it and also builds the same content with
hearth's gguf::writer, which must reproduce it byte for byte.

Run with the reference venv:  /opt/ref/venv/bin/python scripts/ref/gguf_make_reference.py
"""
import sys
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFValueType, GGUFWriter

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "tests/data/gguf/gguf_py_every_type.gguf")

w = GGUFWriter(str(out), arch="llama")  # general.architecture comes first
w.add_custom_alignment(64)
w.add_uint8("t.u8", 200)
w.add_int8("t.i8", -100)
w.add_uint16("t.u16", 60000)
w.add_int16("t.i16", -30000)
w.add_uint32("t.u32", 4000000000)
w.add_int32("t.i32", -2000000000)
w.add_float32("t.f32", 3.25)
w.add_bool("t.bool", True)
w.add_string("t.string", "h\u00e9llo, gguf")
w.add_uint64("t.u64", 2**64 - 1)
w.add_int64("t.i64", -(2**63))
w.add_float64("t.f64", 2.718281828459045)
w.add_array("t.arr_i32", [1, -2, 3])
w.add_array("t.arr_f32", [0.5, -1.5])
w.add_key_value("t.arr_u8", [1, 2, 255], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT8)
w.add_key_value("t.arr_u64", [2**40, 7], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT64)
w.add_array("t.arr_bool", [True, False, True])
w.add_array("t.arr_str", ["<unk>", "", "\u00e9t\u00e9"])
w.add_array("t.nested", [[1, 2], [3]])
w.add_array("t.nested_str", [["a"], ["b", "c"]])

# ggml order is the reverse of numpy's: a (2, 3) float32 array is ne = [3, 2].
w.add_tensor("t.f32", np.arange(6, dtype=np.float32).reshape(2, 3) / 4)
w.add_tensor("t.f16", (np.arange(5, dtype=np.float16) - 2) / 8)
w.add_tensor("t.i32", np.arange(3, dtype=np.int32) * -7)
# Quantized tensors as raw bytes: (rows, bytes per row) -> ne = [elements per row, rows].
w.add_tensor("t.q8_0", (np.arange(2 * 34) % 251).astype(np.uint8).reshape(2, 34), raw_dtype=GGMLQuantizationType.Q8_0)
w.add_tensor("t.q4_k", (np.arange(144) * 3 % 256).astype(np.uint8).reshape(1, 144), raw_dtype=GGMLQuantizationType.Q4_K)

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print(f"wrote {out} ({out.stat().st_size} bytes)")
