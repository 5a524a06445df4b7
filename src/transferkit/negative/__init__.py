"""Negative transfer: estimate whether a transfer helps before trusting it.

:func:`assess_transfer` estimates the target-accuracy gain of a method over its
no-transfer baseline, with an interval and a verdict; :class:`NegativeTransferGuard`
fits both and keeps the method only when the estimated gain is positive.
"""

from transferkit.negative.assess import TransferAssessment, assess_transfer
from transferkit.negative.guard import NegativeTransferGuard

__all__ = ["NegativeTransferGuard", "TransferAssessment", "assess_transfer"]
