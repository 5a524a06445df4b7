"""Feature-mapping transfer: map both domains into a space where they match."""

from transferkit.mapping.coral import CORAL
from transferkit.mapping.meda import MEDA
from transferkit.mapping.pca import JointPCA
from transferkit.mapping.subspace import GFK, SubspaceAlignment

__all__ = ["CORAL", "GFK", "MEDA", "JointPCA", "SubspaceAlignment"]
