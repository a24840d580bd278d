#!/usr/bin/env python3
"""Reference token ids from llama.cpp (llama-cpp-python) for hearth's tokenizer tests.

Usage (in the venv that has llama-cpp-python, e.g. /opt/ref/venv):
    python scripts/ref/tokenizer_reference.py [MODEL_CACHE] [OUT_DIR]
    defaults: build/models  tests/data/tokenizer

For each model (vocab_only, no weights loaded) it writes into OUT_DIR:
  model_inputs.inp       the inputs (raw bytes), separated like llama.cpp's .inp files by
                         "\\n__ggml_vocab_test__\\n"; written once, shared by every model
  MODEL.plain.out        one line of ids per input: tokenize(add_bos=False, special=False)
  MODEL.special.out      the same with add_bos=True (BOS/EOS as the file asks), special=True
  MODEL.pieces           "id piece piece_special" per sampled token, pieces in hex ("-" = empty):
                         llama_token_to_piece(lstrip=0, special=False/True)
  MODEL.meta             n_tokens, bos, eos, add_bos, add_eos, and every end-of-generation id
"""
import ctypes
import sys
from pathlib import Path

import llama_cpp

MODELS = {
    "SmolLM2-135M-Instruct.Q4_1": "SmolLM2-135M-Instruct.Q4_1.gguf",  # gpt2 / smollm
    "gemma-3-270m-q4_k_m": "gemma-3-270m-q4_k_m.gguf",  # SentencePiece, Gemma's user-defined tokens
}

SEP = b"\n__ggml_vocab_test__\n"

PROSE = (
    "The quick brown fox jumps over the lazy dog. Tokenizers split text into pieces that a model "
    "knows; the same text must always give the same pieces, or the model sees something it was "
    "never trained on. Byte-level BPE never fails on any input, because every byte has a token. "
    "SentencePiece falls back to bytes (<0x0A> and friends) when no piece covers a character. "
) * 6


def inputs():
    # llama.cpp's own tokenizer test strings, then cases aimed at what those do not cover:
    # special-token texts (parsed or not), user-defined tokens, white-space runs, invalid UTF-8,
    # non-ASCII white space, many scripts, code, numbers, contractions, a longer paragraph.
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "tokenizer" / "ggml-vocab-llama-spm.gguf.inp"
    cases = []
    if shared.exists():
        raw = shared.read_bytes()
        pos = 0
        while pos < len(raw):
            nxt = raw.find(SEP, pos)
            if nxt < 0:
                cases.append(raw[pos:])
                break
            cases.append(raw[pos:nxt])
            pos = nxt + len(SEP)
    extra = [
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
        "<start_of_turn>user\nWhy is the sky blue?<end_of_turn>\n<start_of_turn>model\n",
        "<bos><eos><pad><unk><mask>[multimodal]<start_of_image>",
        "a</s>b <s>x</s> <|endoftext|> text<|im_end|>more",
        "<table><tr><td>1</td></tr></table> <b>bold</b> <code>x</code>",
        "<repo_name>hearth<file_sep>main.cpp<filename>x.py<gh_stars>",
        "Hello  world\n\nfoo\t\tbar   baz    qux",
        " " * 40 + "x" + " " * 3,
        "\n" * 35 + "end",
        "\t" * 10 + "tabs",
        "   leading and trailing spaces   ",
        "\r\n windows\r\nline endings\r\n",
        "a\u00a0b\u3000c\u2009d\u0085e\u2028f",
        "\u00dcn\u00efc\u00f6d\u00e9 fa\u00e7ade na\u00efve caf\u00e9 \u2014 \u201cquotes\u201d \u2018single\u2019 \u2026",
        "def f(x):\n    return x**2  # comment\n\tif (a<b && c>d) { y = 1; }\n",
        "1234567890 12,345.67 3.14159 1e-10 0x1F 2024-01-31",
        "I'm you're he's we'll they'd can't WON'T She'S o'clock",
        "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 \U0001F3F3\ufe0f\u200d\U0001F308 \U0001F1E9\U0001F1EA \u2764\ufe0f",
        "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0939\u093f\u0928\u094d\u0926\u0940 \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
        PROSE,
    ]
    cases += [s.encode("utf-8") for s in extra]
    # Invalid UTF-8: a stray byte, truncated sequences, a surrogate, an overlong form. (A 4-byte form
    # past U+10FFFF, e.g. f4 90 80 80, is not here: llama.cpp's BPE path aborts on it.)
    cases += [b"\xff\xfe abc \xc3 \xe2\x82 end", b"\xed\xa0\x80 surrogate", b"\xc0\xaf slash"]
    return cases


def hexs(b):
    return b.hex() if b else "-"


def piece(vocab, tid, special):
    size = 256
    buf = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_token_to_piece(vocab, tid, buf, size, 0, special)
    if n < 0:
        size = -n
        buf = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_token_to_piece(vocab, tid, buf, size, 0, special)
    return buf.raw[:n]


def main():
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/models")
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("tests/data/tokenizer")
    out.mkdir(parents=True, exist_ok=True)
    cases = inputs()
    (out / "model_inputs.inp").write_bytes(SEP.join(cases) + SEP)

    for name, file in MODELS.items():
        path = cache / file
        if not path.exists():
            sys.exit(f"missing {path}: run scripts/fetch-models {cache} first")
        llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
        vocab = llm._model.vocab
        used = set()
        for mode, add_bos, special in (("plain", False, False), ("special", True, True)):
            lines = []
            for c in cases:
                ids = llm.tokenize(c, add_bos=add_bos, special=special)
                used.update(ids)
                lines.append(" ".join(str(i) for i in ids))
            (out / f"{name}.{mode}.out").write_text("\n".join(lines) + "\n")

        n = llama_cpp.llama_vocab_n_tokens(vocab)
        attr_sample = llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED | llama_cpp.LLAMA_TOKEN_ATTR_BYTE
        sample = set(used) | set(range(0, n, 509)) | set(range(0, min(n, 300))) | set(range(max(0, n - 300), n))
        eog = []
        for t in range(n):
            attr = llm._model.token_get_attr(t)
            if attr & attr_sample:
                sample.add(t)
            elif attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL and t % 50 == 0:
                sample.add(t)
            if llama_cpp.llama_vocab_is_eog(vocab, t):
                eog.append(t)
                sample.add(t)
        with (out / f"{name}.pieces").open("w") as f:
            for t in sorted(sample):
                f.write(f"{t} {hexs(piece(vocab, t, False))} {hexs(piece(vocab, t, True))}\n")
        meta = {
            "n_tokens": n,
            "bos": llama_cpp.llama_vocab_bos(vocab),
            "eos": llama_cpp.llama_vocab_eos(vocab),
            "add_bos": int(llama_cpp.llama_vocab_get_add_bos(vocab)),
            "add_eos": int(llama_cpp.llama_vocab_get_add_eos(vocab)),
            "eog": " ".join(str(t) for t in eog),
            "llama_cpp_python": llama_cpp.__version__,
        }
        (out / f"{name}.meta").write_text("".join(f"{k} {v}\n" for k, v in meta.items()))
        print(f"{name}: {len(cases)} inputs, {len(sample)} pieces, eog {eog}")


if __name__ == "__main__":
    main()
