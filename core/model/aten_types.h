#pragma once
// Internal to the engine (includes ATen): the ATen scalar type of a compute dtype.
#include <ATen/ATen.h>

#include "model/transformer.h"

namespace rope {

at::ScalarType scalarType(ComputeDType dtype);

}  // namespace rope
