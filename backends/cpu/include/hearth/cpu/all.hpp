#pragma once
// Everything of the CPU backend's kernel layer: arch tags, thread pool, matmul, ops, get_rows.
#include <hearth/cpu/arch.hpp>
#include <hearth/cpu/get_rows.hpp>
#include <hearth/cpu/matmul.hpp>
#include <hearth/cpu/ops.hpp>
#include <hearth/cpu/row_ops.hpp>
#include <hearth/cpu/thread_pool.hpp>
