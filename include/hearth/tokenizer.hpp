#pragma once
// hearth's tokenizers in one include: tokenizer (SentencePiece and byte-level BPE from a GGUF
// vocabulary) and the streaming detokenizer.
#include <hearth/tokenizer/detokenizer.hpp>
#include <hearth/tokenizer/tokenizer.hpp>
