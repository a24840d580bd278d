#pragma once
// Sampling: the sampler chain that turns logits into a token (see sampling/sampler.hpp).
#include <hearth/sampling/params.hpp>
#include <hearth/sampling/sampler.hpp>
