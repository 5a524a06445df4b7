"""Fail early, naming the extra, when :mod:`transferkit.engine` is used without torch."""

from transferkit._optional import require

torch = require("torch", extra="torch", purpose="transferkit.engine")
