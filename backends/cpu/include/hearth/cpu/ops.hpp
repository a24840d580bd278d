#pragma once
// All element-wise and row ops of the CPU backend.
#include <hearth/cpu/ops/elementwise.hpp>
#include <hearth/cpu/ops/norm.hpp>
#include <hearth/cpu/ops/rope.hpp>
#include <hearth/cpu/ops/softmax.hpp>
