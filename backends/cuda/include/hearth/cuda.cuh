#pragma once
// The core of hearth plus its CUDA backend, in one include (from a .cu file compiled by nvcc).
#include <hearth/hearth.hpp>
#include <hearth/cuda/backend.cuh>
#include <hearth/cuda/reference/exec.hpp>
