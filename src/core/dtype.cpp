// The dtypes' descriptions.
#include "core/dtype.hpp"

namespace moebench {

std::string_view dtype_name(WeightDtype dtype) {
  return dtype == WeightDtype::kFp8Block128 ? kFp8Block128RowName : "bf16";
}

std::string_view dtype_description(WeightDtype dtype) {
  return dtype == WeightDtype::kFp8Block128 ? "e4m3, 128x128 weight blocks, 1x128 activation groups"
                                            : "bf16 weights and activations";
}

}  // namespace moebench
