"""FCN models: VGG16 backbone, skip-fusion head, builders."""

from fcn_studio.models.fcn import (
    ARCHITECTURES,
    FCN,
    FCNHead,
    bilinear_kernel,
    build_fcn,
    detect_architecture,
    fcn8s,
    fcn16s,
    fcn32s,
)
from fcn_studio.models.vgg import VGG16Backbone, is_vgg16_classifier_state, vgg16_to_fcn_state, width_divisor_of

__all__ = [
    "ARCHITECTURES",
    "FCN",
    "FCNHead",
    "VGG16Backbone",
    "bilinear_kernel",
    "build_fcn",
    "detect_architecture",
    "fcn8s",
    "fcn16s",
    "fcn32s",
    "is_vgg16_classifier_state",
    "vgg16_to_fcn_state",
    "width_divisor_of",
]
