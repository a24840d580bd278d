#!/usr/bin/env python3
"""llama.cpp's outputs on the generated architecture models of tests/model/arch_models.hpp.

    HEARTH_ARCH_MODELS_DIR=DIR build/main/tests/test_model "[.write-arch-models]"
    python scripts/ref/arch_reference.py DIR/*.gguf -o tests/data/parity/arch

For each model and K/V cache pair: the logits after a fixed prompt of token ids and the greedy
continuation, flash attention on (hearth reads its cache the same way). The file's SHA-256 is
recorded so the test knows it runs the same bytes. Only numbers are written.
"""
import argparse
import hashlib
import json
from pathlib import Path

import llama_cpp
import numpy as np

PROMPT = [1, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 200, 17, 90, 3, 250, 64]
CACHES = {"f16-f16": (llama_cpp.GGML_TYPE_F16, llama_cpp.GGML_TYPE_F16),
          "q8_0-q8_0": (llama_cpp.GGML_TYPE_Q8_0, llama_cpp.GGML_TYPE_Q8_0),
          "q4_0-q8_0": (llama_cpp.GGML_TYPE_Q4_0, llama_cpp.GGML_TYPE_Q8_0)}
N_GEN = 24


def last_logits(llm):
    ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).astype(np.float32).copy()


def run(model: Path, cache: str, threads: int):
    tk, tv = CACHES[cache]
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=256, n_batch=256, n_threads=threads, type_k=tk, type_v=tv,
                          flash_attn=True, verbose=False)
    llm.reset()
    llm.eval(PROMPT)
    first = last_logits(llm)
    logits = first
    tokens = []
    for _ in range(N_GEN):
        t = int(np.argmax(logits))
        tokens.append(t)
        llm.eval([t])
        logits = last_logits(llm)
    return {"logits": [float(x) for x in first], "tokens": tokens}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("-o", "--out", type=Path, default=Path("tests/data/parity/arch"))
    ap.add_argument("-t", "--threads", type=int, default=2)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for model in a.models:
        data = model.read_bytes()
        result = {"model": model.name, "sha256": hashlib.sha256(data).hexdigest(),
                  "llama_cpp_python": llama_cpp.__version__, "prompt": PROMPT, "runs": {}}
        for cache in CACHES:
            result["runs"][cache] = run(model, cache, a.threads)
            print(model.name, cache, result["runs"][cache]["tokens"], flush=True)
        (a.out / (model.stem + ".json")).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
