"""Federated transfer learning: parties that keep their data train together.

* :mod:`transferkit.federated.ftl` - secure two-party federated transfer learning
  (vertically split features, Paillier / CKKS encryption);
* :mod:`transferkit.federated.horizontal` - federated fine-tuning of a shared pretrained
  body across many clients on Flower (FedAvg over the body, client-local heads).

Needs the ``federated`` extra: ``pip install "transferkit[federated]"`` (phe, gmpy2,
TenSEAL, Flower with its Ray simulation backend). Importing this package imports none of
them; each subpackage names the extra when a package is missing.
"""
