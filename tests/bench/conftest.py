"""Fixtures of the benchmark tests: a tiny synthetic suite and a counting method."""

import bench._fake as _fake

fake_suite = _fake.fake_suite
counting_method = _fake.counting_method
tiny_loader = _fake.tiny_loader
