"""Checksums and provenance of every data file transferkit can load."""

from __future__ import annotations

from dataclasses import dataclass, field

from transferkit.registry import Registry

__all__ = ["DataFile", "DatasetInfo", "DATASETS"]


@dataclass(frozen=True)
class DataFile:
    """One file of a data set, identified by its path and SHA-256."""

    path: str
    sha256: str


@dataclass(frozen=True)
class DatasetInfo:
    """A data set: its files, domains and where it is published."""

    name: str
    description: str
    published_at: str
    citation: str
    files: tuple[DataFile, ...]
    domains: tuple[str, ...] = field(default=())


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
        files=(
            DataFile(
                "office_caltech10_surf/amazon_SURF_L10.mat",
                "df32548b994e18d364c99e1f317e1fae100597259f0423a41b90f4f68187bb1f",
            ),
            DataFile(
                "office_caltech10_surf/Caltech10_SURF_L10.mat",
                "4f9334c8ced489d5054de97a5fd51a61f017f3bcd1f38c9a85c6d78cb9d7bda5",
            ),
            DataFile(
                "office_caltech10_surf/dslr_SURF_L10.mat",
                "44d673c68e1d07b837893aa74dba3b986e4a6cc3fd66f0dd357683bdef059216",
            ),
            DataFile(
                "office_caltech10_surf/webcam_SURF_L10.mat",
                "a6a9c78b4b7181dfbb58bcfd351d4ebd737f171c31247b8884948aa156d3f700",
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
        files=(
            DataFile(
                "mnist_usps/MNIST_vs_USPS.mat",
                "2b87e5a793e77826417e6c483e0850d6666c9746717bce2561db43f3f30efd4d",
            ),
        ),
        domains=("mnist", "usps"),
    ),
    "coil20": DatasetInfo(
        name="coil20",
        description="COIL-20 split into COIL1/COIL2 by viewing angle (JDA version), 20 classes.",
        published_at="the JDA code package of M. Long; GitHub AngryCarrot/JDA (data/)",
        citation="Long et al. ICCV 2013; Nene, Nayar, Murase. COIL-20. CUCS-005-96, 1996.",
        files=(
            DataFile(
                "coil20/COIL_1.mat",
                "5001c5bcef8d95217d66a08bdccbcaae2bc8cd3142540ed4ec38ca0796342534",
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
        files=(
            DataFile(
                "amazon_review_400/books_400.mat",
                "7a53b54f0c0e81e7ee4774d762a927399cede9a802a2409732ba00cc1c23a17a",
            ),
            DataFile(
                "amazon_review_400/dvd_400.mat",
                "13a71d399f9c7ae57064952979c830455057ffd0a8da73f2c9075338d64d98ce",
            ),
            DataFile(
                "amazon_review_400/elec_400.mat",
                "f1dd6e01c1eed956d3abe6493a6bb5efc95e6585b8b9b2d856c0c07e12893a35",
            ),
            DataFile(
                "amazon_review_400/kitchen_400.mat",
                "b1f4e5ddfbd7b37ad2638fccbf83bd8558abf63b3e8d69a9d5bca77b1a49fed5",
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
        files=(
            DataFile(
                "nilm/plaid2018_awrg_subset/current.npy",
                "f8176567c321e28ada31881abe092089ef5d47d3e4435ee9fce21dbd33528079",
            ),
            DataFile(
                "nilm/plaid2018_awrg_subset/voltage.npy",
                "caac4cb73008705b37e7c69d468d10be4525f41310ff294ee94e654d52156308",
            ),
            DataFile(
                "nilm/plaid2018_awrg_subset/labels.npy",
                "9c73c07de7aa5d9208782b3e33407453eab3155519d483fda026ecea3d04109c",
            ),
            DataFile(
                "nilm/plaid2018_awrg_subset/on_events.npy",
                "61b3ea0fa67c7531c5ba8dde046b9b9e4b8741d3142d2f3b21977ea0e0865b71",
            ),
        ),
    ),
    "hfhadc_subset": DatasetInfo(
        name="hfhadc_subset",
        description="HFHAD-C: 3 s of 6.4 kHz V/I for 12 household appliance types, 20 each.",
        published_at="GitHub TerminusMars/HFHAD-C (commit 73b8b322)",
        citation="TerminusMars, HFHAD-C: High-Frequency Current and Voltage Data of Commonly "
        "Used Electrical Appliances in Chinese Households, GitHub (2024).",
        files=(
            DataFile(
                "nilm/hfhadc_subset/hfhadc_20per_class_int16.npz",
                "29ef5cff34cd50f99c936cbb99af06f3d8fbc9b2bf9222d25e2fcf2339f30310",
            ),
        ),
    ),
}

#: Every data set transferkit can load, by name (a :class:`transferkit.registry.Registry`).
DATASETS: Registry[DatasetInfo] = Registry.from_mapping(
    "data set", _DATASETS, hint="`transferkit datasets list` shows them."
)
