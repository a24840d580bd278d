#pragma once
// Model-file integrity in one include: SHA-256, verifying a file against a digest, manifests
// in sha256sum's format.
#include <hearth/integrity/manifest.hpp>
#include <hearth/integrity/sha256.hpp>
#include <hearth/integrity/verify.hpp>
