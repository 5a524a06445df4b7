"""Fixtures of the experiment tests: the tiny synthetic suite of the benchmark tests."""

import bench._fake as _fake

fake_suite = _fake.fake_suite
counting_method = _fake.counting_method
tiny_loader = _fake.tiny_loader
