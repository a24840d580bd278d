#pragma once
// The core of hearth in one include: formats, GGUF, model graph, tokenizer, sampling, session.
// Backends live in their own headers (<hearth/cpu.hpp>, ...), each of which includes this one.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
