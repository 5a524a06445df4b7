"""The tiny synthetic suite and counting method of the benchmark tests."""

import bench._fake as _fake

fake_suite = _fake.fake_suite
counting_method = _fake.counting_method
