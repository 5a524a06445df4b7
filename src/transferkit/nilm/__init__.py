"""Non-intrusive load monitoring (NILM) helpers."""

from transferkit.nilm.vi import vi_binary_image

__all__ = ["vi_binary_image"]
