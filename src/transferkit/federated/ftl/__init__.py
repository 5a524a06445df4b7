"""Secure two-party federated transfer learning (Liu, Kang, Xing, Chen, Yang 2020).

Party A holds labelled data, party B unlabelled data in another feature space; a set of
overlapping sample ids links them. The parties train their own layers together under
Paillier or CKKS encryption with random masks (Algorithm 1) and B then scores its own
samples (Algorithm 2) without either side seeing the other's data, labels or hidden
representations. The objective and its gradients are in :mod:`.objective`, the parties
in :mod:`.protocol`, the cryptosystems in :mod:`.crypto`, the channels in
:mod:`.transport` (in-process) and :mod:`.grpc_transport` (gRPC with TLS).
"""

from transferkit.federated.ftl.objective import ftl_objective, taylor_logistic, with_bias
from transferkit.federated.ftl.protocol import (
    FTLProtocolError,
    PartyA,
    PartyB,
    PartyUnreachableError,
    align_overlap,
)
from transferkit.federated.ftl.transport import LocalChannel, Transcript

__all__ = [
    "FTLProtocolError",
    "LocalChannel",
    "PartyA",
    "PartyB",
    "PartyUnreachableError",
    "Transcript",
    "align_overlap",
    "ftl_objective",
    "taylor_logistic",
    "with_bias",
]
