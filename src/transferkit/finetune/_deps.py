"""Fail early, naming the extra, when :mod:`transferkit.finetune` is used without torch."""

from transferkit._optional import require

torch = require("torch", extra="torch", purpose="transferkit.finetune")
