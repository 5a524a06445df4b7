"""Feature-mapping transfer: map both domains into a space where they match."""

from transferkit.mapping.coral import CORAL
from transferkit.mapping.pca import JointPCA

__all__ = ["CORAL", "JointPCA"]
