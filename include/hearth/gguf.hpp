#pragma once
// GGUF in one include: the mapped-file reader (gguf::file, gguf::value) and gguf::writer.
#include <hearth/mapped_file.hpp>
#include <hearth/gguf/value.hpp>
#include <hearth/gguf/file.hpp>
#include <hearth/gguf/writer.hpp>
