#!/usr/bin/env python3
"""Produces llama.cpp's reference outputs for hearth's parity tests (tests/model/).

Runs in a venv with llama-cpp-python (llama.cpp's own Python bindings; see scripts/ref/README.md):

    python scripts/ref/parity_reference.py MODEL.gguf [MODEL.gguf ...] -o tests/data/parity

For each model, each prompt and each K/V cache pair it records: the prompt token ids (as llama.cpp
tokenized them, so the graph is tested independently of the tokenizer), the 64 greedy tokens
llama.cpp generates (flash attention on, as hearth's cache is always read by flash attention),
and the top-k logits of the last prompt position. Only numbers are written: no llama.cpp code.
"""
import argparse
import json
import math
import os
from pathlib import Path

import llama_cpp
import numpy as np

PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village by the sea,",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Water boils at 100 degrees Celsius. At what temperature does it freeze? Answer:",
]
CACHES = {"f16-f16": (llama_cpp.GGML_TYPE_F16, llama_cpp.GGML_TYPE_F16),
          "q4_0-q8_0": (llama_cpp.GGML_TYPE_Q4_0, llama_cpp.GGML_TYPE_Q8_0),
          "q8_0-q8_0": (llama_cpp.GGML_TYPE_Q8_0, llama_cpp.GGML_TYPE_Q8_0)}
N_GEN = 64
TOP = 256  # enough to hold nearly all probability mass: KL is computed over this set


def head_dim_allows_quantized(llm: llama_cpp.Llama) -> bool:
    meta = llm.metadata
    arch = meta["general.architecture"]
    n_embd = int(meta[f"{arch}.embedding_length"])
    n_head = int(meta[f"{arch}.attention.head_count"])
    hd = int(meta.get(f"{arch}.attention.key_length", n_embd // n_head))
    return hd % 32 == 0


def last_logits(llm: llama_cpp.Llama) -> np.ndarray:
    # llama-cpp-python keeps no scores without logits_all; read the context's last output row.
    ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).astype(np.float32).copy()


def run(model: Path, cache: str, threads: int):
    tk, tv = CACHES[cache]
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=512, n_batch=512, n_threads=threads, seed=0,
                          type_k=tk, type_v=tv, flash_attn=True, logits_all=False, verbose=False)
    out = []
    for prompt in PROMPTS:
        llm.reset()
        ids = llm.tokenize(prompt.encode(), add_bos=True, special=True)
        llm.eval(ids)
        last = last_logits(llm)
        top = np.argsort(-last, kind="stable")[:TOP]
        gen = []
        logits = last
        for _ in range(N_GEN):
            t = int(np.argmax(logits))
            gen.append(t)
            if len(ids) + len(gen) >= 512:
                break
            llm.eval([t])
            logits = last_logits(llm)
        out.append({"prompt": prompt, "prompt_ids": [int(i) for i in ids], "greedy": gen,
                    "top_ids": [int(i) for i in top], "top_logits": [float(last[i]) for i in top],
                    "logits_sha": None})
        # a compact full-vector fingerprint for KL checks: log-softmax at the top ids plus logsumexp
        m = float(last.max())
        out[-1]["logsumexp"] = m + math.log(float(np.exp(last.astype(np.float64) - m).sum()))
    del llm
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("-o", "--out", type=Path, default=Path("tests/data/parity"))
    ap.add_argument("-t", "--threads", type=int, default=2)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for model in a.models:
        probe = llama_cpp.Llama(model_path=str(model), n_ctx=64, vocab_only=True, verbose=False)
        quant_ok = head_dim_allows_quantized(probe)
        del probe
        result = {"model": model.name, "llama_cpp_python": llama_cpp.__version__, "n_ctx": 512, "runs": {}}
        for cache in CACHES:
            if cache != "f16-f16" and not quant_ok:
                continue
            result["runs"][cache] = run(model, cache, a.threads)
            print(f"{model.name} {cache}: done", flush=True)
        for r in result["runs"].values():
            for p in r:
                p.pop("logits_sha", None)
        (a.out / (model.stem + ".json")).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
