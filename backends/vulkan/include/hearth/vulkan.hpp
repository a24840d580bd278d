#pragma once
// The Vulkan backend in one include: hearth's core plus hearth::vulkan::backend.
#include <hearth/hearth.hpp>
#include <hearth/vulkan/backend.hpp>
