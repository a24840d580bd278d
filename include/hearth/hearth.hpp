#pragma once
// The core of hearth in one include: formats, GGUF, model graph, tokenizer, sampling, chat
// templates, sessions. Backends live in their own headers (<hearth/cpu.hpp>, ...), each of which
// includes this one.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant.hpp>
#include <hearth/gguf.hpp>
#include <hearth/tokenizer.hpp>
#include <hearth/sampling.hpp>
#include <hearth/chat.hpp>
#include <hearth/backend.hpp>
#include <hearth/model.hpp>
#include <hearth/session.hpp>
#include <hearth/perplexity.hpp>
