"""Benchmark data sets: verified loaders, and downloads from the original locations.

Files are looked up under the data home (argument > ``TRANSFERKIT_DATA`` >
``../shared/data`` next to a source checkout > ``~/transferkit_data``) and verified by
SHA-256 before use. Nothing is downloaded unless asked: :func:`fetch_dataset`,
``load_*(..., download=True)`` or ``transferkit datasets fetch NAME``.
"""

from transferkit.datasets._build import build_hfhadc_subset, decode_hfhadc_txt
from transferkit.datasets._download import MIRROR_ENV_VAR, DownloadError, download_file
from transferkit.datasets._fetch import build_dataset, fetch_dataset, file_url
from transferkit.datasets._files import (
    DatasetChecksumError,
    DatasetNotFoundError,
    FileStatus,
    dataset_info,
    verify_dataset,
)
from transferkit.datasets._home import DATA_ENV_VAR, get_data_home
from transferkit.datasets._registry import DATASETS, DataFile, DatasetInfo
from transferkit.datasets.benchmarks import list_datasets, load_domain, load_task
from transferkit.datasets.nilm import load_hfhadc_subset, load_plaid_metadata, load_plaid_subset
from transferkit.datasets.nilm_formats import (
    WHITED_CALIBRATION,
    NilmFileError,
    PlaidMetadata,
    parse_whited_name,
    read_plaid,
    read_plaid_csv,
    read_plaid_metadata,
    read_whited,
)
from transferkit.datasets.rescanned import rescanned_digits
from transferkit.datasets.rotated import (
    coil20_views,
    rotate_digit_images,
    rotated_mnist_domains,
    view_windows_between,
)

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "DataFile",
    "DatasetChecksumError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "DownloadError",
    "FileStatus",
    "MIRROR_ENV_VAR",
    "build_dataset",
    "build_hfhadc_subset",
    "dataset_info",
    "decode_hfhadc_txt",
    "download_file",
    "fetch_dataset",
    "file_url",
    "get_data_home",
    "list_datasets",
    "load_domain",
    "load_hfhadc_subset",
    "load_plaid_metadata",
    "load_plaid_subset",
    "NilmFileError",
    "PlaidMetadata",
    "parse_whited_name",
    "read_plaid",
    "read_plaid_csv",
    "read_plaid_metadata",
    "read_whited",
    "WHITED_CALIBRATION",
    "load_task",
    "coil20_views",
    "rotate_digit_images",
    "rotated_mnist_domains",
    "view_windows_between",
    "rescanned_digits",
    "verify_dataset",
]
