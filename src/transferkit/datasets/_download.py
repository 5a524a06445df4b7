"""Download one file over HTTP(S): SHA-256 check, progress, atomic write, resume, retries.

Only the standard library is used (:mod:`urllib.request`), so proxies set through
``HTTPS_PROXY``/``HTTP_PROXY`` apply as usual. A download goes to ``<name>.part`` beside
the final file; the final name appears only after the SHA-256 matched (``os.replace`` in
the same folder, so it is atomic). An interrupted download (Ctrl-C, a killed process)
leaves the ``.part`` file, and the next call resumes it with an HTTP ``Range`` request.
A download that fails for good (404, wrong checksum, retries exhausted) removes the
``.part`` file, so nothing partial is left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "DownloadError",
    "MIRROR_ENV_VAR",
    "download_file",
    "mirror_url",
]

MIRROR_ENV_VAR = "TRANSFERKIT_DATA_MIRROR"
CHUNK = 1 << 16
# HTTP statuses worth another try: the server may answer differently in a moment.
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class DownloadError(OSError):
    """A data file could not be downloaded intact; the message says why and what to do."""


def mirror_url(mirror: str, relative_path: str) -> str:
    """URL of a data file on a mirror that copies the data-home layout.

    Examples
    --------
    >>> mirror_url("http://data.example.org/tk/", "coil20/COIL_1.mat")
    'http://data.example.org/tk/coil20/COIL_1.mat'
    """
    return mirror.rstrip("/") + "/" + urllib.request.pathname2url(relative_path).lstrip("/")


def _urlopen(request: urllib.request.Request, timeout: float) -> Any:
    """The one place that opens a connection (tests wrap it to check the host)."""
    return urllib.request.urlopen(request, timeout=timeout)


def _hash_file(path: Path) -> Any:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest


@contextlib.contextmanager
def _progress(enabled: bool, description: str, total: int | None) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        yield (bar, bar.add_task(description, total=total))


def _attempt(
    url: str,
    part: Path,
    digest: Any,
    offset: int,
    expected_size: int | None,
    timeout: float,
    show: bool,
    label: str,
) -> tuple[int, Any]:
    """One HTTP request appending to ``part`` from ``offset``: (bytes on disk, digest)."""
    headers = {"User-Agent": "transferkit-datasets", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    with _urlopen(request, timeout) as response:
        status = getattr(response, "status", 200)
        if offset and status != 206:  # the server ignored Range: start again
            offset = 0
            digest = hashlib.sha256()
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else expected_size
        mode = "ab" if offset else "wb"
        received = offset
        with open(part, mode) as out, _progress(show, label, total) as bar:
            if bar is not None:
                bar[0].update(bar[1], completed=offset)
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if bar is not None:
                    bar[0].update(bar[1], completed=received)
            out.flush()
            os.fsync(out.fileno())
    if total is not None and received < total:
        raise DownloadError(f"the connection closed after {received} of {total} bytes (truncated)")
    return received, digest


def download_file(
    url: str,
    destination: str | os.PathLike[str],
    sha256: str,
    *,
    size: int | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    progress: bool | None = None,
) -> Path:
    """Download ``url`` to ``destination`` and verify its SHA-256.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` URL.
    destination : path
        Final file name. Its folder is created if needed. Bytes are written to
        ``destination + ".part"`` and renamed only after the checksum matched.
    sha256 : str
        Expected SHA-256 (hex) of the whole file.
    size : int, optional
        Expected size in bytes (used when the server sends no ``Content-Length``).
    timeout : float, default=60.0
        Seconds a connection or a single read may stall before the attempt fails.
    retries : int, default=3
        Further attempts after a timeout, a dropped connection or a 5xx/429 answer; each
        resumes from the bytes already received. Waits ``backoff * 2**attempt`` seconds
        (at most 30 s) in between.
    backoff : float, default=1.0
    progress : bool, optional
        Show a progress bar (default: when standard error is a terminal).

    Returns
    -------
    path : Path
        ``destination``, complete and verified.

    Raises
    ------
    DownloadError
        Not found, refused, timed out or truncated after all retries, or the bytes do
        not match ``sha256``. No ``.part`` or final file is left behind.
    """
    if not url.startswith(("http://", "https://")):
        raise DownloadError(f"Only http(s) URLs can be downloaded, got {url!r}.")
    if retries < 0 or timeout <= 0:
        raise ValueError("retries must be >= 0 and timeout > 0")
    dest = Path(destination)
    part = dest.with_name(dest.name + ".part")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    created = [p for p in (dest.parent, *dest.parent.parents) if not p.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)

    def give_up(message: str, cause: BaseException | None = None) -> DownloadError:
        part.unlink(missing_ok=True)
        for folder in created:  # deepest first; only the empty ones we made
            with contextlib.suppress(OSError):
                folder.rmdir()
        return DownloadError(message)

    digest = hashlib.sha256()
    offset = 0
    if part.is_file():
        offset = part.stat().st_size
        if size is not None and offset > size:
            part.unlink()
            offset = 0
        else:
            digest = _hash_file(part)
    if size is not None and offset == size:  # a complete .part from an interrupted run
        received = offset
    else:
        received = None
    attempt = 0
    while received is None:
        try:
            received, digest = _attempt(url, part, digest, offset, size, timeout, show, dest.name)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset:  # nothing left after offset: restart once
                part.unlink(missing_ok=True)
                digest, offset = hashlib.sha256(), 0
            elif exc.code not in RETRY_STATUS or attempt >= retries:
                raise give_up(
                    f"Downloading {url} failed: HTTP {exc.code} {exc.reason}. Check the "
                    f"URL, or set a mirror (--mirror or {MIRROR_ENV_VAR})."
                ) from None
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(exc, http.client.IncompleteRead):
                reason = "the connection closed before the whole file arrived (truncated)"
            if attempt >= retries:
                timed_out = isinstance(reason, TimeoutError)
                what = f"timed out (no data for {timeout:g} s)" if timed_out else f"{reason}"
                raise give_up(
                    f"Downloading {url} failed after {attempt + 1} attempt(s): {what}. "
                    f"Retry later, raise the timeout, or use a mirror (--mirror or "
                    f"{MIRROR_ENV_VAR}); a proxy is taken from HTTPS_PROXY."
                ) from None
        else:
            break
        attempt += 1
        offset = part.stat().st_size if part.is_file() else 0
        if offset and size is not None and offset > size:
            part.unlink()
            offset = 0
        digest = _hash_file(part) if offset else hashlib.sha256()
        time.sleep(min(backoff * 2 ** (attempt - 1), 30.0))
    actual = digest.hexdigest()
    if actual != sha256:
        raise give_up(
            f"Downloaded {url} ({received} bytes) but its SHA-256 {actual} differs from the "
            f"expected {sha256}: the file at that address is not the published one. Nothing "
            f"was kept; try another mirror ({MIRROR_ENV_VAR})."
        )
    os.replace(part, dest)
    return dest
