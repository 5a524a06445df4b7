"""Checksums, download locations and provenance of every data file transferkit can load.

Every URL points at the original public copy, pinned to a git commit, so the bytes behind
it never change; the SHA-256 recorded here was computed from the blob at that commit and
equals the file the loaders were validated on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from transferkit.datasets._hfhadc_files import HFHADC_COMMIT, HFHADC_RAW, HFHADC_UPSTREAM
from transferkit.registry import Registry

__all__ = ["DataFile", "DatasetInfo", "DATASETS", "github_raw_url"]


def github_raw_url(repo: str, commit: str, path: str) -> str:
    """URL of ``path`` in GitHub repository ``repo`` at ``commit`` (40 hex digits).

    Examples
    --------
    >>> github_raw_url("owner/name", "0" * 40, "data/a b.mat")[-28:]
    '0000000000000/data/a%20b.mat'
    """
    if len(commit) != 40:
        raise ValueError(f"commit must be a full 40-digit SHA-1, got {commit!r}")
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{quote(path)}"


@dataclass(frozen=True)
class DataFile:
    """One file of a data set: its path in the data home, SHA-256, size and origin URL.

    ``url`` is ``None`` for a derived file, which is rebuilt from the data set's
    ``sources`` by ``transferkit datasets build``.
    """

    path: str
    sha256: str
    url: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class DatasetInfo:
    """A data set: its files, domains, where it is published, how to cite it, its licence.

    ``sources`` are upstream files that a derived data set is built from (see
    :func:`transferkit.datasets.build_dataset`).
    """

    name: str
    description: str
    published_at: str
    citation: str
    files: tuple[DataFile, ...]
    domains: tuple[str, ...] = field(default=())
    licence: str = "not stated"
    sources: tuple[DataFile, ...] = field(default=())


_GFK = ("viggin/domain-adaptation-toolbox", "2a991816a0ac39043b526c2b0cbe01bc844d8890")
_JDA = ("AngryCarrot/JDA", "12167daf32b01a07b85fdfa3db57a42b3be7eefe")
_SKADA_BENCH = ("scikit-adaptation/skada-bench", "e04399f55724b1accbed8ae1050e3c6c73fd481a")
_AWRGNILM = ("sambaiga/AWRGNILM", "bc8c5c0980a3b49bd5455800224851dbcb7cc081")
_POWERSENSE = ("Ally-archi/powersense-backend", "995eb78c598c7e7209343e4785b96c10a0c34320")


def _file(path: str, sha256: str, size: int, origin: tuple[str, str], upstream: str) -> DataFile:
    return DataFile(path, sha256, github_raw_url(origin[0], origin[1], upstream), size)


def _hfhadc_sources() -> tuple[DataFile, ...]:
    files = []
    for name, k, size, sha in HFHADC_RAW:
        url = github_raw_url(
            "TerminusMars/HFHAD-C", HFHADC_COMMIT, f"{HFHADC_UPSTREAM[name]}/{k}.txt"
        )
        files.append(DataFile(f"nilm/hfhadc_subset/raw/{name}/{k}.txt", sha, url, size))
    return tuple(files)


_DATASETS: dict[str, DatasetInfo] = {
    "office_caltech10_surf": DatasetInfo(
        name="office_caltech10_surf",
        description="Office-Caltech10, 800-bin SURF histograms, 4 domains x 10 classes.",
        published_at=(
            "the GFK data package of B. Gong (USC); identical copies in GitHub "
            "viggin/domain-adaptation-toolbox (ToRelease_GFK/data/) and AngryCarrot/JDA (data/)"
        ),
        citation="Gong, Shi, Sha, Grauman. Geodesic Flow Kernel for Unsupervised Domain "
        "Adaptation. CVPR 2012.",
        licence="none stated upstream; research-use benchmark (images from Office and "
        "Caltech-256): cite the papers",
        files=(
            _file(
                "office_caltech10_surf/amazon_SURF_L10.mat",
                "df32548b994e18d364c99e1f317e1fae100597259f0423a41b90f4f68187bb1f",
                104970,
                _GFK,
                "ToRelease_GFK/data/amazon_SURF_L10.mat",
            ),
            _file(
                "office_caltech10_surf/Caltech10_SURF_L10.mat",
                "4f9334c8ced489d5054de97a5fd51a61f017f3bcd1f38c9a85c6d78cb9d7bda5",
                150751,
                _GFK,
                "ToRelease_GFK/data/Caltech10_SURF_L10.mat",
            ),
            _file(
                "office_caltech10_surf/dslr_SURF_L10.mat",
                "44d673c68e1d07b837893aa74dba3b986e4a6cc3fd66f0dd357683bdef059216",
                18348,
                _GFK,
                "ToRelease_GFK/data/dslr_SURF_L10.mat",
            ),
            _file(
                "office_caltech10_surf/webcam_SURF_L10.mat",
                "a6a9c78b4b7181dfbb58bcfd351d4ebd737f171c31247b8884948aa156d3f700",
                32406,
                _GFK,
                "ToRelease_GFK/data/webcam_SURF_L10.mat",
            ),
        ),
        domains=("amazon", "caltech", "dslr", "webcam"),
    ),
    "mnist_usps": DatasetInfo(
        name="mnist_usps",
        description="2000 MNIST and 1800 USPS digits at 16x16 (JDA version), 10 classes.",
        published_at="the JDA code package of M. Long; GitHub AngryCarrot/JDA (data/)",
        citation="Long, Wang, Ding, Sun, Yu. Transfer Feature Learning with Joint "
        "Distribution Adaptation. ICCV 2013.",
        licence="none stated upstream; research-use benchmark (MNIST, USPS): cite the paper",
        files=(
            _file(
                "mnist_usps/MNIST_vs_USPS.mat",
                "2b87e5a793e77826417e6c483e0850d6666c9746717bce2561db43f3f30efd4d",
                3303450,
                _JDA,
                "data/MNIST_vs_USPS.mat",
            ),
        ),
        domains=("mnist", "usps"),
    ),
    "coil20": DatasetInfo(
        name="coil20",
        description="COIL-20 split into COIL1/COIL2 by viewing angle (JDA version), 20 classes.",
        published_at="the JDA code package of M. Long; GitHub AngryCarrot/JDA (data/)",
        citation="Long et al. ICCV 2013; Nene, Nayar, Murase. COIL-20. CUCS-005-96, 1996.",
        licence="none stated upstream; COIL-20 is distributed by Columbia for research use",
        files=(
            _file(
                "coil20/COIL_1.mat",
                "5001c5bcef8d95217d66a08bdccbcaae2bc8cd3142540ed4ec38ca0796342534",
                3016148,
                _JDA,
                "data/COIL_1.mat",
            ),
        ),
        domains=("coil1", "coil2"),
    ),
    "amazon_review_400": DatasetInfo(
        name="amazon_review_400",
        description="Amazon reviews (Blitzer et al.), 400 term-frequency features, 2 classes.",
        published_at=(
            "GitHub scikit-adaptation/skada-bench history, commit e04399f5, "
            "data/amazon_review/<domain>_400.mat"
        ),
        citation="Blitzer, Dredze, Pereira. Biographies, Bollywood, Boom-boxes and Blenders. "
        "ACL 2007; Chen et al. Marginalized denoising autoencoders. ICML 2012.",
        licence="none stated (no LICENSE in skada-bench); Blitzer's corpus was released for "
        "research use",
        files=(
            _file(
                "amazon_review_400/books_400.mat",
                "7a53b54f0c0e81e7ee4774d762a927399cede9a802a2409732ba00cc1c23a17a",
                356724,
                _SKADA_BENCH,
                "data/amazon_review/books_400.mat",
            ),
            _file(
                "amazon_review_400/dvd_400.mat",
                "13a71d399f9c7ae57064952979c830455057ffd0a8da73f2c9075338d64d98ce",
                360255,
                _SKADA_BENCH,
                "data/amazon_review/dvd_400.mat",
            ),
            _file(
                "amazon_review_400/elec_400.mat",
                "f1dd6e01c1eed956d3abe6493a6bb5efc95e6585b8b9b2d856c0c07e12893a35",
                316867,
                _SKADA_BENCH,
                "data/amazon_review/elec_400.mat",
            ),
            _file(
                "amazon_review_400/kitchen_400.mat",
                "b1f4e5ddfbd7b37ad2638fccbf83bd8558abf63b3e8d69a9d5bca77b1a49fed5",
                287938,
                _SKADA_BENCH,
                "data/amazon_review/kitchen_400.mat",
            ),
        ),
        domains=("books", "dvd", "elec", "kitchen"),
    ),
    "plaid2018_subset": DatasetInfo(
        name="plaid2018_subset",
        description="PLAID 2018 submetered appliance events: one V/I cycle each (250 events).",
        published_at=(
            "GitHub sambaiga/AWRGNILM, data/plaid/submetered/ (commit bc8c5c09); original "
            "PLAID on figshare"
        ),
        citation="Medico et al. A voltage and current measurement dataset for plug load "
        "appliance identification in households. Scientific Data 7, 49 (2020).",
        licence="AWRGNILM has no LICENSE; PLAID is published on figshare under an open "
        "attribution licence (check the record): cite both works",
        files=(
            _file(
                "nilm/plaid2018_awrg_subset/current.npy",
                "f8176567c321e28ada31881abe092089ef5d47d3e4435ee9fce21dbd33528079",
                1000128,
                _AWRGNILM,
                "data/plaid/submetered/current.npy",
            ),
            _file(
                "nilm/plaid2018_awrg_subset/voltage.npy",
                "caac4cb73008705b37e7c69d468d10be4525f41310ff294ee94e654d52156308",
                1000128,
                _AWRGNILM,
                "data/plaid/submetered/voltage.npy",
            ),
            _file(
                "nilm/plaid2018_awrg_subset/labels.npy",
                "9c73c07de7aa5d9208782b3e33407453eab3155519d483fda026ecea3d04109c",
                2128,
                _AWRGNILM,
                "data/plaid/submetered/labels.npy",
            ),
            _file(
                "nilm/plaid2018_awrg_subset/on_events.npy",
                "61b3ea0fa67c7531c5ba8dde046b9b9e4b8741d3142d2f3b21977ea0e0865b71",
                2128,
                _AWRGNILM,
                "data/plaid/submetered/on_events.npy",
            ),
        ),
    ),
    "plaid2018_metadata": DatasetInfo(
        name="plaid2018_metadata",
        description="PLAID 2018 submetered metadata: appliance type and house of 1876 "
        "recordings (no waveforms).",
        published_at="PLAID on figshare; committed unchanged in GitHub "
        "Ally-archi/powersense-backend (commit 995eb78c)",
        citation="Medico et al. A voltage and current measurement dataset for plug load "
        "appliance identification in households. Scientific Data 7, 49 (2020).",
        licence="PLAID is published on figshare under an open attribution licence (check "
        "the record); the powersense repository has no LICENSE",
        files=(
            _file(
                "nilm/plaid2018_metadata/metadata_submetered.json",
                "f639453a7644321dc520c49983555d1629b442bf2987463fa4340d818311f768",
                786778,
                _POWERSENSE,
                "metadata_submetered.json",
            ),
        ),
    ),
    "hfhadc_subset": DatasetInfo(
        name="hfhadc_subset",
        description="HFHAD-C: 3 s of 6.4 kHz V/I for 12 household appliance types, 20 each.",
        published_at="GitHub TerminusMars/HFHAD-C (commit 73b8b322); derived: 20 files per class, "
        "decoded (transferkit datasets build hfhadc_subset)",
        citation="TerminusMars, HFHAD-C: High-Frequency Current and Voltage Data of Commonly "
        "Used Electrical Appliances in Chinese Households, GitHub (2024).",
        licence="no LICENSE upstream, so default copyright: use only as an internal test or "
        "validation fixture, do not redistribute",
        files=(
            DataFile(
                "nilm/hfhadc_subset/hfhadc_20per_class_int16.npz",
                "29ef5cff34cd50f99c936cbb99af06f3d8fbc9b2bf9222d25e2fcf2339f30310",
                size=12894253,
            ),
        ),
        sources=_hfhadc_sources(),
    ),
}

#: Every data set transferkit can load, by name (a :class:`transferkit.registry.Registry`).
DATASETS: Registry[DatasetInfo] = Registry.from_mapping(
    "data set", _DATASETS, hint="`transferkit datasets list` shows them."
)
