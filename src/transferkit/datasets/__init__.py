"""Benchmark data sets: verified loaders that never download anything.

Files are looked up under the data home (argument > ``TRANSFERKIT_DATA`` >
``../shared/data`` next to a source checkout > ``~/transferkit_data``) and verified by
SHA-256 before use.
"""

from transferkit.datasets._files import (
    DatasetChecksumError,
    DatasetNotFoundError,
    FileStatus,
    dataset_info,
    verify_dataset,
)
from transferkit.datasets._home import DATA_ENV_VAR, get_data_home
from transferkit.datasets._registry import DATASETS
from transferkit.datasets.benchmarks import list_datasets, load_domain, load_task
from transferkit.datasets.nilm import load_hfhadc_subset, load_plaid_subset
from transferkit.datasets.rotated import coil20_views, rotate_digit_images, rotated_mnist_domains

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "DatasetChecksumError",
    "DatasetNotFoundError",
    "FileStatus",
    "dataset_info",
    "get_data_home",
    "list_datasets",
    "load_domain",
    "load_hfhadc_subset",
    "load_plaid_subset",
    "load_task",
    "coil20_views",
    "rotate_digit_images",
    "rotated_mnist_domains",
    "verify_dataset",
]
