#!/usr/bin/env python3
"""llama.cpp's side of bench/compare: llama-bench's tests through llama-cpp-python's low-level API.

llama-cpp-python ships no llama-bench binary, so this driver does what llama-bench does, with the
same library calls, and prints llama-bench's JSON fields (so bench/compare reads hearth's
`hearth bench -o json` and this the same way):

  bench:  a pp test feeds n_prompt random tokens with llama_decode in batches of n_batch (first
          token BOS when the vocabulary adds one); a tg test decodes n_gen random tokens one at a
          time; with n_depth, n_depth random tokens are decoded first, untimed. One warm-up run,
          then `reps` timed runs, each from an empty KV cache. Timed with perf_counter_ns around
          the decode calls (llama_synchronize before the clock stops). Flash attention on.
  ttft:   time to the first generated token, for a process that starts cold: import the binding,
          load the model, tokenize the prompt, decode it, pick the greedy token, print it. The
          piece goes to stdout at once (bench/compare stamps the first byte); the phases go to
          stderr as JSON.

Run with the interpreter that has llama_cpp (bench/compare picks it).
"""
import time

T_START = time.perf_counter_ns()  # before the binding is imported: its import is part of ttft

import argparse
import ctypes
import json
import os
import random
import sys

GGML_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q5_0": 6, "q5_1": 7, "q8_0": 8}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["bench", "ttft"])
    p.add_argument("-m", "--model", required=True)
    p.add_argument("-t", "--threads", type=int, default=os.cpu_count())
    p.add_argument("-p", "--n-prompt", type=int, default=0)
    p.add_argument("-n", "--n-gen", type=int, default=0)
    p.add_argument("-d", "--n-depth", type=int, default=0)
    p.add_argument("-r", "--reps", type=int, default=5)
    p.add_argument("-b", "--batch-size", type=int, default=512)
    p.add_argument("-ctk", "--cache-type-k", default="q4_0", choices=sorted(GGML_TYPES))
    p.add_argument("-ctv", "--cache-type-v", default="q8_0", choices=sorted(GGML_TYPES))
    p.add_argument("--prompt", default="Hello", help="ttft: the prompt text")
    p.add_argument("-c", "--ctx-size", type=int, default=0, help="ttft: context size (default: prompt + 1)")
    return p.parse_args()


def main():
    a = parse_args()
    import llama_cpp as L  # noqa: E402  (timed: part of the start-up cost)

    t_import = time.perf_counter_ns()

    # Silence llama.cpp's log (it would interleave with our output); keep a reference to the callback.
    global _log_cb
    _log_cb = L.llama_log_callback(lambda level, text, user: None)
    L.llama_log_set(_log_cb, ctypes.c_void_p(0))
    L.llama_backend_init()

    mparams = L.llama_model_default_params()
    mparams.n_gpu_layers = 0
    mparams.use_mmap = True
    model = L.llama_model_load_from_file(a.model.encode(), mparams)
    if not model:
        sys.exit(f"llama.cpp could not load {a.model}")
    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    add_bos = L.llama_vocab_get_add_bos(vocab)
    bos = L.llama_vocab_bos(vocab)
    t_loaded = time.perf_counter_ns()

    def make_context(n_ctx):
        c = L.llama_context_default_params()
        c.n_ctx = n_ctx
        c.n_batch = a.batch_size
        c.n_ubatch = a.batch_size
        c.n_seq_max = 1
        c.n_threads = a.threads
        c.n_threads_batch = a.threads
        c.flash_attn_type = 1  # LLAMA_FLASH_ATTN_TYPE_ENABLED
        c.type_k = GGML_TYPES[a.cache_type_k]
        c.type_v = GGML_TYPES[a.cache_type_v]
        c.no_perf = True
        ctx = L.llama_init_from_model(model, c)
        if not ctx:
            sys.exit(f"llama.cpp could not create a context of {n_ctx} tokens "
                     f"(K {a.cache_type_k}, V {a.cache_type_v}, {a.threads} threads)")
        return ctx

    def decode(ctx, tokens):
        arr = (L.llama_token * len(tokens))(*tokens)
        rc = L.llama_decode(ctx, L.llama_batch_get_one(arr, len(tokens)))
        if rc != 0:
            sys.exit(f"llama_decode returned {rc}")

    if a.mode == "ttft":
        text = a.prompt.encode()
        buf = (L.llama_token * (len(text) + 8))()
        n = L.llama_tokenize(vocab, text, len(text), buf, len(buf), True, False)
        if n < 0:
            sys.exit("tokenize failed")
        prompt = list(buf[:n])
        ctx = make_context(a.ctx_size or (len(prompt) + 1))
        t_ctx = time.perf_counter_ns()
        decode(ctx, prompt)
        sampler = L.llama_sampler_init_greedy()  # native argmax: a Python loop over the vocab would cost ms
        best = L.llama_sampler_sample(sampler, ctx, -1)
        piece = ctypes.create_string_buffer(64)
        m = L.llama_token_to_piece(vocab, best, piece, len(piece), 0, False)
        t_first = time.perf_counter_ns()
        sys.stdout.buffer.write(piece.raw[:max(m, 0)] + b"\n")
        sys.stdout.flush()
        ms = lambda t: (t - T_START) / 1e6
        print(json.dumps({"import_ms": ms(t_import), "load_ms": ms(t_loaded), "context_ms": ms(t_ctx),
                          "first_token_ms": ms(t_first), "prompt_tokens": len(prompt)}), file=sys.stderr)
        L.llama_sampler_free(sampler)
        L.llama_free(ctx)
        L.llama_model_free(model)
        return

    rng = random.Random(1234)

    def random_tokens(n):
        ids = [rng.randrange(n_vocab) for _ in range(n)]
        if ids and add_bos:
            ids[0] = bos
        return ids

    n_ctx = a.n_depth + a.n_prompt + a.n_gen + 1
    ctx = make_context(n_ctx)
    mem = L.llama_get_memory(ctx)
    samples = []
    for rep in range(-1, a.reps):  # rep -1: warm-up
        L.llama_memory_clear(mem, False)
        if a.n_depth > 0:
            depth = random_tokens(a.n_depth)
            for i in range(0, len(depth), a.batch_size):
                decode(ctx, depth[i:i + a.batch_size])
        L.llama_synchronize(ctx)
        prompt = random_tokens(a.n_prompt)
        gen = [bos if a.n_depth == 0 and add_bos else rng.randrange(n_vocab)] + \
              [rng.randrange(n_vocab) for _ in range(max(a.n_gen - 1, 0))]
        t0 = time.perf_counter_ns()
        for i in range(0, len(prompt), a.batch_size):
            decode(ctx, prompt[i:i + a.batch_size])
        for tok in gen[:a.n_gen]:
            decode(ctx, [tok])
        L.llama_synchronize(ctx)
        ns = time.perf_counter_ns() - t0
        if rep >= 0:
            samples.append(ns)
    L.llama_free(ctx)
    L.llama_model_free(model)

    ts = [1e9 * (a.n_prompt + a.n_gen) / ns for ns in samples]
    mean = lambda v: sum(v) / len(v)
    sd = lambda v: (sum((x - mean(v)) ** 2 for x in v) / (len(v) - 1)) ** 0.5 if len(v) > 1 else 0.0
    print(json.dumps([{
        "build_commit": "llama-cpp-python-" + L.__version__,
        "backends": "CPU",
        "model_filename": a.model,
        "n_batch": a.batch_size, "n_ubatch": a.batch_size,
        "n_threads": a.threads,
        "type_k": a.cache_type_k, "type_v": a.cache_type_v,
        "n_gpu_layers": 0, "flash_attn": True, "use_mmap": True,
        "n_prompt": a.n_prompt, "n_gen": a.n_gen, "n_depth": a.n_depth,
        "avg_ns": int(mean(samples)), "stddev_ns": int(sd(samples)),
        "avg_ts": mean(ts), "stddev_ts": sd(ts),
        "samples_ns": samples, "samples_ts": ts,
    }], indent=2))


if __name__ == "__main__":
    main()
