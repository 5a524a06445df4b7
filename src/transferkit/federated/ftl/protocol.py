r"""Algorithms 1 (training) and 2 (prediction) of secure FTL, one class per party.

:class:`PartyA` holds the labels and drives the protocol; :class:`PartyB` answers (it is
the server of ``transferkit ftl serve``). They talk through a *channel* with one method,
``call(message) -> reply`` (in-process for tests, gRPC with TLS between processes: see
:mod:`transferkit.federated.ftl.transport`). The objective and its gradients are those of
:mod:`transferkit.federated.ftl.objective`.

One training round (A's key: :math:`[\![\cdot]\!]_A`; B's key: :math:`[\![\cdot]\!]_B`)::

    A -> B  rows      [[w_i]]_A (i in overlap), [[Phi Phi^T]]_A          one d x d matrix
    B -> A            [[u^B_i]]_B, [[M / N]]_B                            one d x d matrix
    A -> B  masked    [[C_A + m, a + m', (M/N) Phi + m'']]_B               A's aggregates
    B -> A            A's values decrypted (still masked); [[R + m_B]]_A; [[loss part]]_A
    A -> B  decrypted B's values decrypted (still masked); [[loss]]_B
            (B removes its masks, updates W_B, saves round r; A does the same)

Every per-sample quantity travels encrypted under its owner's key and is only ever
combined by the partner into aggregates (sums over the overlap). Each party decrypts
only its partner's aggregates *plus fresh random masks*, and learns only its own
gradient. In particular A never sees a per-sample gradient from which B's
representations could be solved (the flaw of FATE's hetero-FTL), and B's
representations are never sent unencrypted at prediction time (Algorithm 2 below).

Prediction (Algorithm 2): A sends :math:`[\![\Phi^A]\!]_A`; B computes
:math:`[\![s_j]\!]_A = \sum_k u^B_{jk} [\![\Phi^A_k]\!]_A` for its samples, masks them, A
decrypts the masked scores and B removes the masks: B learns its scores, A nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.federated.ftl.crypto import make_scheme
from transferkit.federated.ftl.crypto.base import PublicKey, SecretKey
from transferkit.federated.ftl.messages import Message, payload_from_bytes, payload_to_bytes
from transferkit.federated.ftl.objective import signed_labels, with_bias

__all__ = [
    "PartyA",
    "PartyB",
    "Channel",
    "FTLProtocolError",
    "PartyUnreachableError",
    "overlap_digest",
    "align_overlap",
]

log = logging.getLogger("transferkit.federated.ftl")


class FTLProtocolError(RuntimeError):
    """The partner refused a message or answered out of protocol."""


class PartyUnreachableError(FTLProtocolError, ConnectionError):
    """The partner crashed, closed the connection or did not answer in time."""


class Channel(Protocol):
    """What :class:`PartyA` needs from a transport: one request, one reply."""

    def call(self, message: Message) -> Message:
        """Send ``message`` to party B and return its reply."""


def overlap_digest(overlap_ids: np.ndarray) -> str:
    """SHA-256 of the overlap ids: both parties check that they hold the same overlap.

    Examples
    --------
    >>> overlap_digest(np.array([3, 1])) == overlap_digest(np.array([3, 1]))
    True
    """
    text = "\n".join(str(v) for v in np.asarray(overlap_ids).tolist())
    return hashlib.sha256(text.encode()).hexdigest()


def align_overlap(ids: np.ndarray, overlap_ids: np.ndarray, *, name: str) -> np.ndarray:
    """Row indices of ``overlap_ids`` in ``ids``, in overlap order.

    The overlap itself is an input: in production it comes from a private set
    intersection run beforehand (the PSI hook is the ``overlap_ids`` argument of both
    parties); this function only aligns a party's rows to it.

    Examples
    --------
    >>> align_overlap(np.array([7, 5, 9]), np.array([9, 7]), name="ids").tolist()
    [2, 0]
    """
    ids = np.asarray(ids)
    index = {v: i for i, v in enumerate(ids.tolist())}
    if len(index) != len(ids):
        raise TransferKitInputError(f"{name} has repeated ids; each sample needs a unique id.")
    missing = [v for v in np.asarray(overlap_ids).tolist() if v not in index]
    if missing:
        raise TransferKitInputError(
            f"{len(missing)} overlap ids are not among {name} (e.g. {missing[0]!r}); pass the "
            "ids both parties hold (the result of the private set intersection)."
        )
    return np.array([index[v] for v in np.asarray(overlap_ids).tolist()], dtype=int)


def _check_features(F: np.ndarray, n_overlap: int, who: str) -> None:
    if F.shape[1] >= n_overlap:
        raise TransferKitInputError(
            f"party {who} has {F.shape[1] - 1} features (+1 bias) for {n_overlap} overlapping "
            "samples; with at least as many inputs as samples its layer's gradient would "
            "determine per-sample values of the partner. Reduce the features locally (e.g. "
            "PCA) or use more overlapping samples."
        )


def _init_weights(rng: np.random.Generator, d: int, p: int) -> np.ndarray:
    return rng.normal(scale=1.0 / np.sqrt(p), size=(d, p))


@dataclass
class _Config:
    hidden_dim: int
    gamma: float
    lam: float
    learning_rate: float
    mode: str
    key_bits: int | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RoundRecord:
    """What one party knows after a round."""

    round: int
    loss: float
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _save(path: Path | None, who: str, round_: int, W: np.ndarray) -> None:
    if path is None:
        return
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / f"party_{who}_round_{round_}.tmp.npz"
    np.savez(tmp, W=W, round=round_)
    tmp.replace(path / f"party_{who}_round_{round_}.npz")


def _load(path: Path | None, who: str, round_: int) -> np.ndarray | None:
    if path is None or round_ == 0:
        return None
    file = path / f"party_{who}_round_{round_}.npz"
    if not file.exists():
        return None
    with np.load(file) as data:
        return np.array(data["W"])


def last_round(path: Path | None, who: str) -> int:
    """The last round a party checkpointed in ``path`` (0 when none)."""
    if path is None or not path.exists():
        return 0
    rounds = [
        int(p.name.split("_round_")[1].split(".")[0])
        for p in path.glob(f"party_{who}_round_*.npz")
        if ".tmp." not in p.name
    ]
    return max(rounds, default=0)


class PartyA:
    """The label holder: drives training (Algorithm 1) and prediction (Algorithm 2).

    Parameters
    ----------
    X : array-like of shape (N_A, p_A)
        A's features (never leave A).
    y : array-like of shape (N_A,)
        A's labels, two classes (never leave A).
    ids : array-like of shape (N_A,)
        A's sample ids.
    overlap_ids : array-like of shape (N,)
        The ids both parties hold, in the order both use (from a PSI).
    hidden_dim : int, default=32
        Dimension :math:`d` of the hidden representations.
    gamma : float, default=1.0
        Weight of the alignment term.
    lam : float, default=1e-3
        L2 weight on both layers.
    learning_rate : float, default=0.1
        Step of the full-batch gradient descent, one step per round.
    mode : {"plain", "paillier", "ckks"}, default="paillier"
    key_bits : int, optional
        Paillier modulus bits (default 2048) or CKKS ring degree (default 8192).
    random_state : int, optional
        Seed of A's initial weights (keys and masks always come from the OS).
    checkpoint_dir : path, optional
        Where A saves its layer after every round (resume from the last one).
    n_jobs : int, default=1
        Worker processes for A's Paillier encryptions and combinations.

    Examples
    --------
    >>> from transferkit.federated.ftl import PartyA, PartyB, LocalChannel
    >>> rng = np.random.default_rng(0)
    >>> Xa, Xb = rng.normal(size=(60, 3)), rng.normal(size=(60, 4))
    >>> y = np.where(Xa[:, 0] + Xb[:, 0] > 0, 1, 0)
    >>> ids = np.arange(60)
    >>> a = PartyA(Xa, y, ids, ids[:40], hidden_dim=2, mode="plain", random_state=0)
    >>> b = PartyB(Xb, ids, ids[:40], random_state=1)
    >>> history = a.fit(LocalChannel(b), rounds=3)
    >>> len(history), history[-1].loss < history[0].loss
    (3, True)
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        ids: Any,
        overlap_ids: Any,
        *,
        hidden_dim: int = 32,
        gamma: float = 1.0,
        lam: float = 1e-3,
        learning_rate: float = 0.1,
        mode: str = "paillier",
        key_bits: int | None = None,
        random_state: int | None = None,
        checkpoint_dir: str | Path | None = None,
        n_jobs: int = 1,
    ) -> None:
        self.n_jobs = n_jobs
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise TransferKitInputError(
                f"y must have exactly two classes for FTL's logistic loss; got "
                f"{len(self.classes_)}."
            )
        self._F = with_bias(X)
        self._y = signed_labels(y, self.classes_)
        self._overlap_ids = np.asarray(overlap_ids)
        self._rows = align_overlap(np.asarray(ids), self._overlap_ids, name="ids of party A")
        _check_features(self._F, len(self._rows), "a")
        self.config = _Config(hidden_dim, gamma, lam, learning_rate, mode, key_bits)
        self.random_state = random_state
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self._psi = (self._y[:, None] * self._F).mean(axis=0)
        self.W_ = _init_weights(np.random.default_rng(random_state), hidden_dim, self._F.shape[1])
        self.round_ = 0
        self.history_: list[RoundRecord] = []
        self._secret: SecretKey | None = None
        self._partner: PublicKey | None = None

    # -- handshake --------------------------------------------------------------------
    def _hello(self, channel: Channel, resume: bool) -> None:
        scheme = make_scheme(self.config.mode, key_bits=self.config.key_bits, n_jobs=self.n_jobs)
        self._secret = scheme.keygen()
        start = last_round(self.checkpoint_dir, "a") if resume else 0
        if start:
            W = _load(self.checkpoint_dir, "a", start)
            assert W is not None
            self.W_ = W
        self.round_ = start
        msg = Message("hello", start)
        msg.add("config", "control", self.config.as_dict() | {"scheme": scheme.describe()})
        msg.add("overlap_digest", "control", overlap_digest(self._overlap_ids))
        msg.add("public_key", "public_key", self._secret.public.to_bytes())
        reply = _checked(channel, msg, "hello")
        self._partner = scheme.public_from_bytes(reply.get("public_key"))
        log.info("FTL party a: session open (mode %s), starting at round %d", scheme.name, start)

    def fit(self, channel: Channel, rounds: int, *, resume: bool = False) -> list[RoundRecord]:
        """Train for ``rounds`` rounds in total (fewer when resuming from a checkpoint).

        Returns the history of :class:`RoundRecord` (loss after each round's step is
        taken from the values of that round, i.e. before the update).
        """
        import time

        self._hello(channel, resume)
        assert self._secret is not None and self._partner is not None
        sk, partner = self._secret, self._partner
        cfg = self.config
        F, y, rows = self._F, self._y, self._rows
        F_o, y_o = F[rows], y[rows]
        n = len(rows)
        while self.round_ < rounds:
            t0 = time.perf_counter()
            r = self.round_
            W = self.W_
            U_o = F_o @ W.T
            phi = W @ self._psi
            w = -0.5 * y_o[:, None] * phi[None, :] - cfg.gamma * U_o
            own_rows = sk.public.encrypt_rows(np.vstack([w, np.outer(phi, phi)]))
            reply = _checked(
                channel, Message("rows", r).add("rows", "ciphertext", own_rows.to_bytes()), "rows"
            )
            partner_rows = partner.rows_from_bytes(reply.get("rows"))
            d = cfg.hidden_dim
            coeffs = np.zeros((n + d, F.shape[1] + 2))
            coeffs[:n, : F.shape[1]] = F_o
            coeffs[:n, F.shape[1]] = y_o
            coeffs[n:, F.shape[1] + 1] = phi
            masked, mask = partner.mask(partner.combine(partner_rows, coeffs))
            reply = _checked(
                channel,
                Message("masked", r).add("masked", "ciphertext", masked.to_bytes()),
                "masked",
            )
            values = partner.unmask(payload_from_bytes(reply.get("decrypted")), mask)
            C_a = values[: F.shape[1]].T
            a = values[F.shape[1]]
            M_phi = n * values[F.shape[1] + 1]
            for_b = sk.decrypt(sk.public.masked_from_bytes(reply.get("masked")))
            loss_b = float(sk.decrypt_rows(sk.public.rows_from_bytes(reply.get("loss_b")))[0, 0])
            kappa = float((W * C_a).sum())
            loss = (
                np.log(2.0)
                + (-0.5 * phi @ a + 0.125 * phi @ M_phi) / n
                + cfg.gamma / (2 * n) * (float((U_o**2).sum()) - 2 * kappa)
                + cfg.lam / 2 * float((W**2).sum())
                + loss_b
            )
            grad = (
                np.outer(-0.5 * a + 0.25 * M_phi, self._psi) / n
                + cfg.gamma / n * (U_o.T @ F_o - C_a)
                + cfg.lam * W
            )
            self.last_gradient_ = grad
            done = Message("decrypted", r)
            done.add("decrypted", "masked", payload_to_bytes(for_b))
            done.add("loss", "ciphertext", partner.encrypt_rows(np.array([[loss]])).to_bytes())
            _checked(channel, done, "decrypted")
            self.W_ = W - cfg.learning_rate * grad
            self.round_ = r + 1
            _save(self.checkpoint_dir, "a", self.round_, self.W_)
            record = RoundRecord(r + 1, float(loss), seconds=time.perf_counter() - t0)
            self.history_.append(record)
            log.info("FTL party a: round %d done, loss %.6f", r + 1, loss)
        return self.history_

    def predict_for_partner(self, channel: Channel) -> int:
        """Algorithm 2: let B score its samples; returns how many B scored.

        A sends :math:`[\\![\\Phi^A]\\!]_A` and decrypts only masked scores.
        """
        if self._secret is None:
            raise TransferKitInputError("call fit (or fit with rounds=0) before prediction.")
        sk = self._secret
        phi = self.W_ @ self._psi
        enc = sk.public.encrypt_rows(phi[:, None])
        reply = _checked(
            channel,
            Message("predict", self.round_).add("phi", "ciphertext", enc.to_bytes()),
            "predict",
        )
        for_b = sk.decrypt(sk.public.masked_from_bytes(reply.get("masked")))
        done = Message("predict_decrypted", self.round_)
        done.add("decrypted", "masked", payload_to_bytes(for_b))
        ack = _checked(channel, done, "predict_decrypted")
        return int(ack.get("n_scored"))

    def close(self, channel: Channel) -> None:
        """Tell B that the session is over."""
        _checked(channel, Message("bye", self.round_), "bye")


def _checked(channel: Channel, message: Message, step: str) -> Message:
    reply = channel.call(message)
    if reply.type == "error":
        raise FTLProtocolError(
            f"party b refused the {step!r} message of round {message.round}: {reply.get('reason')}"
        )
    return reply


class PartyB:
    """The party without labels: answers A's messages (the ``serve`` side).

    Parameters
    ----------
    X : array-like of shape (N_B, p_B)
        B's features (never leave B).
    ids : array-like of shape (N_B,)
        B's sample ids.
    overlap_ids : array-like of shape (N,)
        The ids both parties hold, in the same order as A's.
    random_state : int, optional
        Seed of B's initial weights.
    checkpoint_dir : path, optional
        Where B saves its layer after every round.
    modes : tuple of str, default=("plain", "paillier", "ckks")
        Modes B accepts (``transferkit ftl serve`` refuses ``"plain"``).
    n_jobs : int, default=1
        Worker processes for B's Paillier encryptions and combinations.

    Attributes
    ----------
    scores_ : ndarray of shape (N_B,)
        After A's prediction request: :math:`\\Phi^A \\cdot u^B_j` for each of B's samples.
    """

    def __init__(
        self,
        X: Any,
        ids: Any,
        overlap_ids: Any,
        *,
        random_state: int | None = None,
        checkpoint_dir: str | Path | None = None,
        modes: tuple[str, ...] = ("plain", "paillier", "ckks"),
        n_jobs: int = 1,
    ) -> None:
        self.n_jobs = n_jobs
        self._F = with_bias(np.asarray(X, dtype=float))
        self.ids = np.asarray(ids)
        self._overlap_ids = np.asarray(overlap_ids)
        self._rows = align_overlap(self.ids, self._overlap_ids, name="ids of party B")
        _check_features(self._F, len(self._rows), "b")
        self.random_state = random_state
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.modes = modes
        self.round_ = 0
        self.W_: np.ndarray | None = None
        self.losses_: list[float] = []
        self.finished = False
        self._state: dict[str, Any] = {}
        self._worker: threading.Thread | None = None
        self._worker_error: BaseException | None = None

    def handle(self, message: Message) -> Message:
        """Answer one message from A (an ``error`` message when it is out of protocol)."""
        handlers: dict[str, Callable[[Message], Message]] = {
            "hello": self._on_hello,
            "rows": self._on_rows,
            "masked": self._on_masked,
            "decrypted": self._on_decrypted,
            "predict": self._on_predict,
            "predict_decrypted": self._on_predict_decrypted,
            "bye": self._on_bye,
        }
        handler = handlers.get(message.type)
        try:
            if handler is None:
                raise FTLProtocolError(f"unknown message type {message.type!r}")
            if message.type != "hello" and "secret" not in self._state:
                raise FTLProtocolError("no session: send 'hello' first")
            return handler(message)
        except (FTLProtocolError, TransferKitInputError) as exc:
            log.warning("FTL party b: refused %s: %s", message.type, exc)
            return Message("error", message.round).add("reason", "control", str(exc))

    def _expect_round(self, message: Message) -> None:
        if message.round != self.round_:
            raise FTLProtocolError(
                f"message for round {message.round} but party b is at round {self.round_}; "
                "restart the session (hello) to resume from the last completed round"
            )

    def _on_hello(self, message: Message) -> Message:
        cfg = message.get("config")
        if cfg["mode"] not in self.modes:
            raise FTLProtocolError(
                f"mode {cfg['mode']!r} is not accepted here (accepted: {list(self.modes)})"
            )
        if message.get("overlap_digest") != overlap_digest(self._overlap_ids):
            raise FTLProtocolError(
                "the overlap ids differ between the parties (digest mismatch); run the PSI "
                "again and give both parties the same overlap in the same order"
            )
        start = int(message.round)
        W = _load(self.checkpoint_dir, "b", start)
        if start and W is None:
            raise FTLProtocolError(
                f"party a resumes at round {start} but party b has no checkpoint of that "
                f"round in {self.checkpoint_dir}; resume both from a common round"
            )
        if W is None:
            W = _init_weights(
                np.random.default_rng(self.random_state), int(cfg["hidden_dim"]), self._F.shape[1]
            )
        self.W_ = W
        self.round_ = start
        self.config = _Config(
            int(cfg["hidden_dim"]),
            float(cfg["gamma"]),
            float(cfg["lam"]),
            float(cfg["learning_rate"]),
            str(cfg["mode"]),
            cfg["key_bits"],
        )
        scheme = make_scheme(self.config.mode, key_bits=self.config.key_bits, n_jobs=self.n_jobs)
        self._state = {
            "scheme": scheme,
            "secret": scheme.keygen(),
            "partner": scheme.public_from_bytes(message.get("public_key")),
        }
        self.finished = False
        log.info("FTL party b: session open (mode %s) at round %d", scheme.name, start)
        reply = Message("hello", start)
        return reply.add("public_key", "public_key", self._state["secret"].public.to_bytes())

    def _on_rows(self, message: Message) -> Message:
        self._expect_round(message)
        self._join()
        cfg = self.config
        sk: SecretKey = self._state["secret"]
        partner: PublicKey = self._state["partner"]
        assert self.W_ is not None
        F_o = self._F[self._rows]
        n = len(self._rows)
        U = F_o @ self.W_.T
        M = U.T @ U
        own = sk.public.encrypt_rows(np.vstack([U, M / n]))
        partner_rows = partner.rows_from_bytes(message.get("rows"))
        V = U.T @ F_o
        loss_b = cfg.gamma / (2 * n) * float(np.trace(M)) + cfg.lam / 2 * float((self.W_**2).sum())
        self._state.update(V=V, round=message.round)
        coeffs = np.vstack([F_o, 0.25 * V])

        def work() -> None:
            try:
                masked, mask = partner.mask(partner.combine(partner_rows, coeffs))
                enc_loss = partner.encrypt_rows(np.array([[loss_b]]))
                self._state.update(masked=masked, mask=mask, enc_loss=enc_loss)
            except BaseException as exc:  # reported at the next message
                self._worker_error = exc

        self._worker = threading.Thread(target=work, daemon=True)
        self._worker.start()
        return Message("rows", message.round).add("rows", "ciphertext", own.to_bytes())

    def _join(self) -> None:
        if self._worker is not None:
            self._worker.join()
            self._worker = None
        if self._worker_error is not None:
            exc, self._worker_error = self._worker_error, None
            raise FTLProtocolError(f"party b failed to combine: {exc}")

    def _on_masked(self, message: Message) -> Message:
        self._expect_round(message)
        sk: SecretKey = self._state["secret"]
        decrypted = sk.decrypt(sk.public.masked_from_bytes(message.get("masked")))
        self._join()
        if "masked" not in self._state:
            raise FTLProtocolError("'masked' before 'rows' in this round")
        reply = Message("masked", message.round)
        reply.add("decrypted", "masked", payload_to_bytes(decrypted))
        reply.add("masked", "ciphertext", self._state["masked"].to_bytes())
        reply.add("loss_b", "ciphertext", self._state["enc_loss"].to_bytes())
        return reply

    def _on_decrypted(self, message: Message) -> Message:
        self._expect_round(message)
        if "mask" not in self._state:
            raise FTLProtocolError("'decrypted' before 'masked' in this round")
        cfg = self.config
        sk: SecretKey = self._state["secret"]
        partner: PublicKey = self._state["partner"]
        assert self.W_ is not None
        n = len(self._rows)
        R = partner.unmask(payload_from_bytes(message.get("decrypted")), self._state.pop("mask"))
        self._state.pop("masked", None)
        grad = R.T / n + cfg.gamma / n * self._state["V"] + cfg.lam * self.W_
        self.last_gradient_ = grad
        loss = float(sk.decrypt_rows(sk.public.rows_from_bytes(message.get("loss")))[0, 0])
        self.losses_.append(loss)
        self.W_ = self.W_ - cfg.learning_rate * grad
        self.round_ += 1
        _save(self.checkpoint_dir, "b", self.round_, self.W_)
        log.info("FTL party b: round %d done, loss %.6f", self.round_, loss)
        return Message("decrypted", message.round).add("round", "control", self.round_)

    def _on_predict(self, message: Message) -> Message:
        self._join()
        partner: PublicKey = self._state["partner"]
        assert self.W_ is not None
        phi_rows = partner.rows_from_bytes(message.get("phi"))
        U = self._F @ self.W_.T
        masked, mask = partner.mask(partner.combine(phi_rows, U.T))
        self._state["predict_mask"] = mask
        return Message("predict", message.round).add("masked", "ciphertext", masked.to_bytes())

    def _on_predict_decrypted(self, message: Message) -> Message:
        if "predict_mask" not in self._state:
            raise FTLProtocolError("'predict_decrypted' before 'predict'")
        partner: PublicKey = self._state["partner"]
        values = partner.unmask(
            payload_from_bytes(message.get("decrypted")), self._state.pop("predict_mask")
        )
        self.scores_ = values[:, 0]
        reply = Message("predict_decrypted", message.round)
        return reply.add("n_scored", "control", len(self.scores_))

    def predict(self) -> np.ndarray:
        """:math:`\\pm 1` predictions of B's samples (after A's prediction request)."""
        if not hasattr(self, "scores_"):
            raise TransferKitInputError("no scores yet: party a must run predict_for_partner.")
        return np.where(self.scores_ > 0, 1, -1)

    def _on_bye(self, message: Message) -> Message:
        self._join()
        self.finished = True
        log.info("FTL party b: session closed after round %d", self.round_)
        return Message("bye", message.round)
