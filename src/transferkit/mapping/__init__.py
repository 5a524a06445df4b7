"""Feature-mapping transfer: map both domains into a space where they match."""

from transferkit.mapping._kernels import (
    KernelFactor,
    MMDMatrix,
    exact_kernel_bytes,
    median_heuristic_gamma,
)
from transferkit.mapping.coral import CORAL
from transferkit.mapping.jda import BDA, JDA
from transferkit.mapping.meda import MEDA
from transferkit.mapping.pca import JointPCA
from transferkit.mapping.subspace import GFK, SubspaceAlignment
from transferkit.mapping.subspace_svm import SubspaceAlignmentSVC
from transferkit.mapping.tca import TCA

__all__ = [
    "BDA",
    "CORAL",
    "GFK",
    "JDA",
    "MEDA",
    "JointPCA",
    "KernelFactor",
    "MMDMatrix",
    "SubspaceAlignment",
    "SubspaceAlignmentSVC",
    "TCA",
    "exact_kernel_bytes",
    "median_heuristic_gamma",
]
