"""Feature-mapping transfer: map both domains into a space where they match."""

from transferkit.mapping._kernels import KernelFactor, MMDMatrix, median_heuristic_gamma
from transferkit.mapping.coral import CORAL
from transferkit.mapping.jda import BDA, JDA, proxy_a_distance
from transferkit.mapping.pca import JointPCA
from transferkit.mapping.tca import TCA

__all__ = [
    "BDA",
    "CORAL",
    "JDA",
    "JointPCA",
    "KernelFactor",
    "MMDMatrix",
    "TCA",
    "median_heuristic_gamma",
    "proxy_a_distance",
]
