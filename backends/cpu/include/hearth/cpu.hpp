#pragma once
// The core of hearth plus its CPU backend, in one include.
#include <hearth/hearth.hpp>
#include <hearth/cpu/arch.hpp>
#include <hearth/cpu/backend.hpp>
