"""Image folders as a transfer domain: ``folder/<class>/<image>`` -> features and labels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from transferkit._validation import TransferKitInputError

__all__ = ["IMAGE_SUFFIXES", "load_image_folder"]

#: File suffixes read as images (others, e.g. README files, are ignored).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def load_image_folder(
    folder: str | os.PathLike[str],
    *,
    size: int = 32,
    grayscale: bool = True,
    classes: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read ``folder/<class>/*.png`` (any Pillow format) as flattened pixel rows.

    Every image is converted to grey (or RGB), resized to ``size x size`` (bilinear) and
    scaled to [0, 1]; row ``i`` holds image ``i`` flattened (``size * size`` values, times
    3 for colour). Classes are the sub-folder names, sorted; labels index them.

    Parameters
    ----------
    folder : path
        One sub-folder per class.
    size : int, default=32
    grayscale : bool, default=True
    classes : list of str, optional
        The class names to use (e.g. the source's, so that labels agree across
        domains); a sub-folder outside this list is an error.

    Returns
    -------
    X : ndarray of shape (n_images, n_pixels)
    y : ndarray of shape (n_images,), int
    classes : list of str

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> root = Path(tempfile.mkdtemp())
    >>> for name, value in [("dark", 0), ("light", 255)]:
    ...     (root / name).mkdir()
    ...     Image.new("L", (8, 8), value).save(root / name / "a.png")
    >>> X, y, classes = load_image_folder(root, size=4)
    >>> X.shape, y.tolist(), classes, float(X[1].mean())
    ((2, 16), [0, 1], ['dark', 'light'], 1.0)
    """
    from transferkit._optional import require

    image_module = require("PIL.Image", extra="report", purpose="reading image folders")
    root = Path(folder)
    if not root.is_dir():
        raise TransferKitInputError(
            f"image folder {str(root)!r} does not exist; give a folder with one sub-folder "
            "of images per class."
        )
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise TransferKitInputError(
            f"image folder {str(root)!r} has no class sub-folders; put the images of class "
            f"C in {str(root / 'C')!r}."
        )
    names = list(classes) if classes is not None else found
    unknown = [c for c in found if c not in names]
    if unknown:
        raise TransferKitInputError(
            f"image folder {str(root)!r} has class {unknown[0]!r}, which the source does not "
            f"have (source classes: {', '.join(names)})."
        )
    rows, labels = [], []
    mode = "L" if grayscale else "RGB"
    for label, name in enumerate(names):
        sub = root / name
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with image_module.open(path) as image:
                    image = image.convert(mode).resize((size, size), image_module.BILINEAR)
                    pixels = np.asarray(image, dtype=np.float64) / 255.0
            except (OSError, ValueError) as exc:
                raise TransferKitInputError(
                    f"{str(path)!r} is not a readable image ({exc}); remove or replace it."
                ) from None
            rows.append(pixels.ravel())
            labels.append(label)
    if not rows:
        raise TransferKitInputError(
            f"image folder {str(root)!r} holds no images ({', '.join(IMAGE_SUFFIXES)})."
        )
    return np.vstack(rows), np.asarray(labels, dtype=np.int64), names
