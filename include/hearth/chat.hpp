#pragma once
// Chat templates: detect a model's prompt format, render conversations in it, and choose one
// (with a ChatML fallback) for a session.
#include <hearth/chat/detect.hpp>
#include <hearth/chat/family.hpp>
#include <hearth/chat/message.hpp>
#include <hearth/chat/render.hpp>
#include <hearth/chat/resolve.hpp>
