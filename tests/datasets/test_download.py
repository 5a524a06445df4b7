"""Downloads against a real HTTP server on loopback that serves the benchmark data files.

The server (``http.server`` in a thread, port 0) has well-behaved and misbehaving routes:
``/ok`` (with Range support), ``/truncate-once``, ``/truncate``, ``/corrupt``, ``/stall``,
``/norange`` and ``/missing`` (404). Every connection the download code opens is checked
to go to 127.0.0.1: no test reaches outside the machine.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from transferkit.cli import app
from transferkit.datasets import (
    DATASETS,
    DownloadError,
    _download,
    build_dataset,
    build_hfhadc_subset,
    dataset_info,
    download_file,
    fetch_dataset,
    file_url,
    load_domain,
)
from transferkit.datasets._build import write_hfhadc_npz
from transferkit.datasets._files import DatasetChecksumError


class _Server:
    def __init__(self, root: Path):
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.truncated: set[str] = set()
        self.release = threading.Event()


def _handler(state: _Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep the test output quiet
            pass

        def do_GET(self):
            route, _, rel = self.path.lstrip("/").partition("/")
            rel = urllib.parse.unquote(rel)
            state.requests.append((self.path, self.headers.get("Range")))
            path = state.root / rel
            if route == "missing" or not path.is_file():
                self.send_error(404, "Not Found")
                return
            data = path.read_bytes()
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if match and route != "norange":
                start = int(match.group(1))
                if start >= len(data):
                    self.send_error(416, "Range Not Satisfiable")
                    return
            body = data[start:]
            if route == "corrupt":
                body = body[:-1] + bytes([body[-1] ^ 0xFF])
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if route == "truncate" or (route == "truncate-once" and rel not in state.truncated):
                state.truncated.add(rel)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if route == "stall":
                self.wfile.write(body[:1000])
                self.wfile.flush()
                state.release.wait(5.0)  # bounded: longer than the client's timeout
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server(data_home):
    state = _Server(Path(data_home))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """Every connection the download code opens must go to this machine."""
    real = _download._urlopen
    opened = []

    def guarded(request, timeout):
        host = urllib.parse.urlsplit(request.full_url).hostname
        assert host == "127.0.0.1", f"a test tried to reach {request.full_url}"
        opened.append(request.full_url)
        return real(request, timeout)

    monkeypatch.setattr(_download, "_urlopen", guarded)
    monkeypatch.delenv(_download.MIRROR_ENV_VAR, raising=False)
    return opened


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


FAST = {"retries": 1, "timeout": 5.0, "progress": False}


def test_fetch_downloads_verifies_and_skips_what_is_present(server, tmp_path, data_home):
    home = tmp_path / "home"
    paths = fetch_dataset("amazon_review_400", home, mirror=f"{server.base}/ok", **FAST)
    assert [p.name for p in paths] == [f"{d}_400.mat" for d in ("books", "dvd", "elec", "kitchen")]
    for path, file in zip(paths, dataset_info("amazon_review_400").files, strict=True):
        assert _sha(path) == file.sha256
        assert path.read_bytes() == (data_home / file.path).read_bytes()
    assert len(server.requests) == 4
    assert not list(home.rglob("*.part"))
    fetch_dataset("amazon_review_400", home, mirror=f"{server.base}/ok", **FAST)
    assert len(server.requests) == 4  # verified copies are kept, nothing is requested


def test_truncated_download_is_resumed_with_a_range_request(server, tmp_path):
    home = tmp_path / "home"
    (path,) = fetch_dataset(
        "coil20", home, mirror=f"{server.base}/truncate-once", backoff=0.0, **FAST
    )
    assert _sha(path) == dataset_info("coil20").files[0].sha256
    (first, no_range), (second, resume_from) = server.requests
    assert no_range is None and first == second
    size = dataset_info("coil20").files[0].size
    assert resume_from == f"bytes={size // 2}-"
    assert _files_under(home) == ["coil20/COIL_1.mat"]


def test_partial_file_of_an_interrupted_run_is_resumed(server, tmp_path, data_home):
    home = tmp_path / "home"
    file = dataset_info("mnist_usps").files[0]
    part = home / (file.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes((data_home / file.path).read_bytes()[:1_000_000])
    (path,) = fetch_dataset("mnist_usps", home, mirror=f"{server.base}/ok", **FAST)
    assert _sha(path) == file.sha256
    assert server.requests[0][1] == "bytes=1000000-"
    assert not part.exists()


def test_server_that_ignores_range_restarts_from_zero(server, tmp_path, data_home):
    home = tmp_path / "home"
    file = dataset_info("mnist_usps").files[0]
    part = home / (file.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)  # not even the right bytes: a restart must replace them
    (path,) = fetch_dataset("mnist_usps", home, mirror=f"{server.base}/norange", **FAST)
    assert _sha(path) == file.sha256 and not part.exists()


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("truncate", r"truncated"),
        ("corrupt", r"SHA-256 [0-9a-f]{64} differs from the expected"),
        ("missing", r"HTTP 404"),
    ],
)
def test_failed_download_leaves_nothing_and_says_why(server, tmp_path, route, message):
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(DownloadError, match=message) as err:
        fetch_dataset("coil20", home, mirror=f"{server.base}/{route}", backoff=0.0, **FAST)
    assert "coil20/COIL_1.mat" in str(err.value)
    assert _files_under(home) == [] and list(home.iterdir()) == []
    expected_requests = 1 if route in ("missing", "corrupt") else 2  # retried once
    assert len(server.requests) == expected_requests


def test_stalled_server_times_out_within_the_bound(server, tmp_path):
    home = tmp_path / "home"
    start = time.perf_counter()
    with pytest.raises(DownloadError, match=r"timed out \(no data for 0.5 s\)"):
        fetch_dataset(
            "coil20",
            home,
            mirror=f"{server.base}/stall",
            timeout=0.5,
            retries=1,
            backoff=0.0,
            progress=False,
        )
    assert time.perf_counter() - start < 4.0
    assert not home.exists() or _files_under(home) == []
    assert len(server.requests) == 2


def test_download_file_with_progress_and_refusals(server, tmp_path, data_home):
    file = dataset_info("office_caltech10_surf").files[2]
    url = f"{server.base}/ok/{file.path}"
    dest = download_file(url, tmp_path / "d.mat", file.sha256, progress=True, retries=0)
    assert dest.read_bytes() == (data_home / file.path).read_bytes()
    with pytest.raises(DownloadError, match="Only http"):
        download_file("ftp://127.0.0.1/x", tmp_path / "x", file.sha256)
    with pytest.raises(ValueError, match="retries"):
        download_file(url, tmp_path / "y", file.sha256, retries=-1)


def test_load_with_download_uses_the_mirror_setting(server, tmp_path, monkeypatch):
    monkeypatch.setenv(_download.MIRROR_ENV_VAR, f"{server.base}/ok")
    X, y = load_domain("mnist_usps", "U", data_home=tmp_path, download=True)
    assert X.shape == (1800, 256) and y.max() == 9


def test_cli_fetch_reports_success_and_failure(server, tmp_path):
    runner = CliRunner()
    home = str(tmp_path / "home")
    ok = [f"--mirror={server.base}/ok", "--data-home", home]
    result = runner.invoke(app, ["datasets", "fetch", "coil20", *ok])
    assert result.exit_code == 0, result.output
    assert "coil20" in result.output and "ok" in result.output
    bad = [f"--mirror={server.base}/missing", "--data-home", str(tmp_path / "other")]
    result = runner.invoke(app, ["datasets", "fetch", "mnist_usps", *bad, "--retries", "0"])
    assert result.exit_code == 1
    assert "HTTP 404" in result.output
    result = runner.invoke(app, ["datasets", "fetch", "nosuch", "--data-home", home])
    assert result.exit_code == 2 and "unknown data set" in result.output


def test_every_file_has_a_pinned_origin_url():
    pinned = re.compile(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+")
    for info in DATASETS.values():
        for file in (*info.files, *info.sources):
            if file.url is None:
                assert info.sources, f"{file.path} has neither a URL nor upstream sources"
                continue
            assert pinned.fullmatch(file.url), file.url
            assert file.size and re.fullmatch(r"[0-9a-f]{64}", file.sha256)
            assert file_url(file) == file.url
            assert file_url(file, "http://127.0.0.1:1/m/") == f"http://127.0.0.1:1/m/{file.path}"
        assert info.licence and info.citation
    hfhadc = dataset_info("hfhadc_subset")
    assert len(hfhadc.sources) == 240
    assert hfhadc.sources[0].url.endswith("/%E5%86%B0%E7%AE%B1/1.txt")  # 冰箱 (fridge)


def test_hfhadc_recipe_decodes_the_upstream_files_exactly(data_home, tmp_path):
    """The raw files k = 1..10 decode to the subset's rows for k = 1..10, bit for bit."""
    out = build_hfhadc_subset(data_home, tmp_path / "ten.npz", per_class=10)
    info = dataset_info("hfhadc_subset")
    with np.load(out) as built, np.load(data_home / info.files[0].path) as ref:
        ks = [int(s.split("/")[1].removesuffix(".txt")) for s in ref["source_files"]]
        keep = np.array(ks) <= 10
        assert built["counts"].shape == (120, 19200, 2)
        np.testing.assert_array_equal(built["counts"], ref["counts"][keep])
        np.testing.assert_array_equal(built["labels"], ref["labels"][keep])
        np.testing.assert_array_equal(built["source_files"], ref["source_files"][keep])
        np.testing.assert_array_equal(built["class_names"], ref["class_names"])


def test_hfhadc_recipe_writes_the_recorded_bytes(data_home, tmp_path):
    """Written from the decoded arrays, the file has exactly the recorded SHA-256."""
    file = dataset_info("hfhadc_subset").files[0]
    with np.load(data_home / file.path) as ref:
        arrays = [ref[k] for k in ("counts", "labels", "class_names", "source_files")]
    out = write_hfhadc_npz(tmp_path / "rebuilt.npz", *arrays)
    assert _sha(out) == file.sha256


def test_build_refuses_a_result_that_differs_and_keeps_nothing(data_home, tmp_path):
    raw = data_home / "nilm/hfhadc_subset/raw"
    home = tmp_path / "home"
    for folder in raw.iterdir():
        target = home / "nilm/hfhadc_subset/raw" / folder.name
        target.mkdir(parents=True)
        for k in range(1, 21):  # files 11..20 stand in for the missing ones: wrong data
            os.symlink(folder / f"{(k - 1) % 10 + 1}.txt", target / f"{k}.txt")
    with pytest.raises(DatasetChecksumError, match="Nothing was kept"):
        build_dataset("hfhadc_subset", home)
    assert not [p for p in (home / "nilm/hfhadc_subset").iterdir() if p.is_file()]
    with pytest.raises(ValueError, match="not derived"):
        build_dataset("coil20", home)


def test_fetch_of_a_derived_set_stops_cleanly_at_a_missing_upstream_file(server, tmp_path):
    """The loopback server has only files 1..10 of each class: file 11 gives a 404."""
    home = tmp_path / "home"
    with pytest.raises(DownloadError, match=r"HTTP 404") as err:
        fetch_dataset("hfhadc_subset", home, mirror=f"{server.base}/ok", **FAST)
    assert "raw/fridge/11.txt" in str(err.value)
    files = _files_under(home)
    assert len(files) == 10 and all(f.startswith("nilm/hfhadc_subset/raw/fridge/") for f in files)


def test_ctrl_c_keeps_the_part_file_and_the_next_fetch_resumes_it(
    server, tmp_path, monkeypatch, only_loopback
):
    """An interrupted download keeps ``.part`` (never the final name); fetching again resumes."""
    home = tmp_path / "home"
    file = dataset_info("coil20").files[0]
    guarded = _download._urlopen

    class Interrupting:
        def __init__(self, response):
            self.response, self.headers, self.status = response, response.headers, response.status
            self.reads = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.response.close()

        def read(self, n):
            self.reads += 1
            if self.reads > 3:
                raise KeyboardInterrupt
            return self.response.read(n)

    monkeypatch.setattr(_download, "_urlopen", lambda r, t: Interrupting(guarded(r, t)))
    with pytest.raises(KeyboardInterrupt):
        fetch_dataset("coil20", home, mirror=f"{server.base}/ok", **FAST)
    part = home / (file.path + ".part")
    assert part.stat().st_size == 3 * _download.CHUNK
    assert not (home / file.path).exists()
    monkeypatch.setattr(_download, "_urlopen", guarded)
    (path,) = fetch_dataset("coil20", home, mirror=f"{server.base}/ok", **FAST)
    assert _sha(path) == file.sha256 and not part.exists()
    assert server.requests[-1][1] == f"bytes={3 * _download.CHUNK}-"
