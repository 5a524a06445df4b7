"""Kernel Mean Matching (Huang, Smola, Gretton, Borgwardt & Schölkopf, NIPS 2007)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.linalg import solve_triangular
from sklearn.exceptions import ConvergenceWarning
from tqdm.auto import tqdm

from transferkit._optional import is_available, require
from transferkit._validation import (
    MAX_ITER,
    Interval,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
    check_memory,
    check_option,
    check_random_state,
)
from transferkit.base import BaseWeighter
from transferkit.instance._kernels import gaussian_kernel, kernel_row_blocks
from transferkit.metrics.mmd import median_heuristic

__all__ = ["KMM", "project_box_sum"]

SOLVERS = ("auto", "qp", "pgd", "nystroem")
QP_MAX_AUTO = 1000
PGD_MAX_AUTO = 5000


def _qp_available() -> bool:
    """Whether the exact QP path (the ``qp`` extra: qpsolvers + cvxopt) can run."""
    return is_available("qpsolvers") and is_available("cvxopt")


def _min_linear(g: np.ndarray, upper: float, low_sum: float, high_sum: float) -> float:
    r""":math:`\min g^\top s` over :math:`0 \le s_i \le B,\ L \le \sum_i s_i \le U` (greedy)."""
    order = np.argsort(g, kind="stable")
    total = min(max(upper * float(np.count_nonzero(g < 0)), low_sum), high_sum)
    full = min(int(total // upper), g.shape[0])
    value = upper * float(g[order[:full]].sum())
    if full < g.shape[0]:
        value += (total - upper * full) * float(g[order[full]])
    return value


def project_box_sum(v: np.ndarray, upper: float, low_sum: float, high_sum: float) -> np.ndarray:
    r"""Euclidean projection onto the box-and-sum set of KMM.

    The set is :math:`\{\beta : 0 \le \beta_i \le B,\ L \le \sum_i\beta_i \le U\}`.

    The projection is :math:`\operatorname{clip}(v - \tau, 0, B)` with the scalar
    :math:`\tau` found by bisection (0 when the clipped vector already satisfies the sum
    constraint).

    Examples
    --------
    >>> project_box_sum(np.array([3.0, 2.0, -1.0]), 5.0, 0.0, 3.0)
    array([2., 1., 0.])
    """
    clipped = np.clip(v, 0.0, upper)
    total = clipped.sum()
    if low_sum <= total <= high_sum:
        return clipped
    target = high_sum if total > high_sum else low_sum
    lo, hi = float(v.min()) - upper, float(v.max())
    for _ in range(100):
        tau = 0.5 * (lo + hi)
        s = np.clip(v - tau, 0.0, upper).sum()
        if s > target:
            lo = tau
        else:
            hi = tau
        if hi - lo <= 1e-12 * max(1.0, abs(tau)):
            break
    return np.clip(v - 0.5 * (lo + hi), 0.0, upper)


class _KernelOperator:
    """Products with the source Gram matrix, cached in float32 or recomputed in blocks."""

    def __init__(self, X: np.ndarray, sigma: float, cache: bool, block_size: int):
        self.X, self.sigma, self.block_size = X, sigma, block_size
        self.K = None
        if cache:
            n = X.shape[0]
            self.K = np.empty((n, n), dtype=np.float32)
            for rows, block in kernel_row_blocks(X, X, sigma, block_size=block_size):
                self.K[rows] = block

    def matvec(self, v: np.ndarray) -> np.ndarray:
        if self.K is not None:
            return (self.K @ v.astype(np.float32)).astype(np.float64)
        out = np.empty(self.X.shape[0])
        v32 = v.astype(np.float32)
        for rows, block in kernel_row_blocks(
            self.X, self.X, self.sigma, block_size=self.block_size
        ):
            out[rows] = block @ v32
        return out


class KMM(BaseWeighter):
    r"""Kernel Mean Matching: weights that match the source and target kernel means.

    KMM chooses source weights :math:`\beta` so that the weighted source mean in the
    RKHS of a Gaussian kernel matches the target mean. With
    :math:`K_{ij} = k(x^s_i, x^s_j)` and
    :math:`\kappa_i = \frac{n_s}{n_t}\sum_{j=1}^{n_t} k(x^s_i, x^t_j)` it solves the
    quadratic programme

    .. math::
        \min_\beta\ \tfrac12 \beta^\top K \beta - \kappa^\top \beta
        \quad\text{s.t.}\quad \beta_i \in [0, B],\quad
        \Bigl|\sum_{i=1}^{n_s} \beta_i - n_s\Bigr| \le n_s\,\epsilon ,

    i.e. :math:`\min \lVert \frac1{n_s}\sum_i \beta_i\phi(x^s_i) - \frac1{n_t}\sum_j
    \phi(x^t_j)\rVert^2` up to constants. Two solvers:

    * ``"qp"``: an interior-point QP solver (cvxopt through qpsolvers) on the dense
      :math:`n_s \times n_s` kernel; exact, for a few thousand samples.
    * ``"pgd"``: accelerated projected gradient (FISTA) with the exact projection
      onto the box-and-sum constraint set. Gram products are done in row blocks; the
      Gram matrix is cached in float32 when it fits ``max_kernel_memory`` (20,000
      samples need 1.6 GB) and recomputed block by block otherwise, so no
      :math:`n_s \times n_t` matrix is ever stored.

    * ``"nystroem"``: the same FISTA on the Nyström approximation with its diagonal
      corrected (as in FITC), :math:`K \approx \Phi_s\Phi_s^\top + D`,
      :math:`\Phi = k(X, Z)\,W^{-1/2}` with :math:`m` landmarks :math:`Z` drawn from
      the pooled samples, :math:`W = k(Z, Z)` and :math:`D = \operatorname{diag}(1 -
      \lVert\Phi_i\rVert^2)` (so that :math:`k(x, x) = 1` holds exactly; the low-rank
      part alone misses most of a Gaussian kernel's spectrum in high dimension), and
      :math:`\kappa \approx \frac{n_s}{n_t}\Phi_s\Phi_t^\top \mathbf 1`. Cost
      :math:`O((n_s+n_t)\,m\,d)` for the features and :math:`O(n_s m)` per iteration,
      memory :math:`O(n_s m)`; for tens of thousands of samples. It solves an
      approximation of KMM: ``benchmarks/instance_kmm_scale.py`` measures how far its
      weights are from the exact solution.

    ``"auto"`` uses ``"qp"`` up to 1,000 source samples, ``"pgd"`` up to 5,000 and
    ``"nystroem"`` above (:meth:`resolve_solver`; model selection pins this choice for
    the whole source so that its fold fits and the refit agree). Every solver records
    ``n_iter_`` and the final relative duality gap ``convergence_``.
    Weights of new samples (:meth:`compute_weights`) are the Nadaraya–Watson kernel
    smoothing of the training weights, :math:`w(x) = \sum_i \beta_i k(x, x^s_i) /
    \sum_i k(x, x^s_i)`, since KMM itself only weights its training samples.

    Parameters
    ----------
    sigma : float, optional
        Kernel width in :math:`k(x, x') = \exp(-\lVert x-x'\rVert^2 / (2\sigma^2))`;
        default: the median pairwise distance of the pooled samples.
    B : float, default=1000.0
        Upper bound of each weight.
    epsilon : float, optional
        Tolerance of the mean-weight constraint; default
        :math:`(\sqrt{n_s} - 1)/\sqrt{n_s}` as in the paper.
    solver : {"auto", "qp", "pgd", "nystroem"}, default="auto"
        ``"auto"`` takes ``"qp"`` up to 1000 source samples when the ``qp`` extra
        (qpsolvers + cvxopt) is installed, else ``"pgd"`` up to 5000, else
        ``"nystroem"``. ``"qp"`` without that extra raises an error naming it.
    max_iter : int in [1, 10**6], default=5000
        Iterations cap of the ``"pgd"`` and ``"nystroem"`` solvers; reaching it raises a
        :class:`~sklearn.exceptions.ConvergenceWarning`.
    tol : float, default=1e-3
        Relative sub-optimality at which ``"pgd"`` and ``"nystroem"`` stop. The stopping
        rule is the Frank-Wolfe duality gap: for the convex objective :math:`f` on the
        constraint set :math:`C`,
        :math:`f(\beta) - f^* \le \nabla f(\beta)^\top\beta - \min_{s\in C}
        \nabla f(\beta)^\top s` (a linear programme over the box-and-sum set, solved
        greedily), so stopping when the gap is at most ``tol`` times the decrease
        :math:`f(\beta_0) - f(\beta)` from the uniform start guarantees
        :math:`(f(\beta) - f^*) / (f(\beta_0) - f^*) \le` ``tol`` on the solver's
        objective (the exact kernel for ``"pgd"``, the Nyström kernel for
        ``"nystroem"``).
    max_kernel_memory : float, default=3e9
        Bytes the ``"pgd"`` solver may use to cache the Gram matrix (float32).
    n_landmarks : int, default=1000
        Landmarks of the ``"nystroem"`` solver.
    block_size : int, default=1024
        Rows per kernel block.
    random_state : int, RandomState or None, default=0
        Seeds the subsample of the median heuristic and the Nyström landmarks.
    verbose : bool, default=False
        Show a progress bar over the solver iterations.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        :math:`\beta`.
    sigma_ : float
        The kernel width used.
    epsilon_ : float
    objective_ : float
        :math:`\tfrac12\beta^\top K\beta - \kappa^\top\beta` at the solution.
    n_iter_ : int
        FISTA iterations (``"pgd"``, ``"nystroem"``), or 0 for ``"qp"``.
    convergence_ : float
        The final relative duality gap (the bound on the relative sub-optimality that
        ``tol`` is compared with); also computed for ``"qp"``.
    solver_ : str
        The solver that ran (``"auto"`` resolved, see :meth:`resolve_solver`).
    n_landmarks_ : int
        Landmarks used by ``"nystroem"`` (only set by that solver).

    References
    ----------
    J. Huang, A. Smola, A. Gretton, K. Borgwardt, B. Schölkopf. *Correcting Sample
    Selection Bias by Unlabeled Data.* NIPS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.instance import KMM
    >>> from transferkit.instance.synthetic import make_gaussian_shift
    >>> prob = make_gaussian_shift(300, 300, 2, shift=1.0, random_state=0)
    >>> kmm = KMM(solver="pgd").fit(prob.X_source, X_target=prob.X_target)
    >>> mean_w = np.average(prob.X_source, axis=0, weights=kmm.weights_)
    >>> bool(np.abs(mean_w - prob.X_target.mean(axis=0)).max() < 0.05)  # source mean: -0.09
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sigma": [Interval(Real, 0, None, closed="neither"), None],
        "B": [Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, None, closed="left"), None],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 1, MAX_ITER, closed="both")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_kernel_memory": [Interval(Real, 0, None, closed="left")],
        "n_landmarks": [Interval(Integral, 1, None, closed="left")],
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        sigma: float | None = None,
        *,
        B: float = 1000.0,
        epsilon: float | None = None,
        solver: str = "auto",
        max_iter: int = 5000,
        tol: float = 1e-3,
        max_kernel_memory: float = 3e9,
        n_landmarks: int = 1000,
        block_size: int = 1024,
        random_state: Any = 0,
        verbose: bool = False,
    ):
        self.sigma = sigma
        self.B = B
        self.epsilon = epsilon
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.max_kernel_memory = max_kernel_memory
        self.n_landmarks = n_landmarks
        self.block_size = block_size
        self.random_state = random_state
        self.verbose = verbose

    def resolve_solver(self, n_source: int) -> str:
        """The solver that ``fit`` uses for ``n_source`` source samples.

        ``"auto"`` resolves to ``"qp"`` up to 1,000 source samples (when the ``qp`` extra
        is installed), ``"pgd"`` up to 5,000 and ``"nystroem"`` above. Model selection
        (:func:`transferkit.selection.select`) calls this with the size of the whole
        source and pins the answer, so that the cross-validation fits (on fewer samples)
        and the refit use the same solver.

        Examples
        --------
        >>> KMM().resolve_solver(500), KMM().resolve_solver(50_000)
        ('qp', 'nystroem')
        """
        check_option("solver", self.solver, SOLVERS)
        if self.solver != "auto":
            return self.solver
        exact = n_source <= QP_MAX_AUTO and _qp_available()
        return "qp" if exact else "pgd" if n_source <= PGD_MAX_AUTO else "nystroem"

    def _check_solver_memory(self, solver: str, ns: int, nt: int, n_features: int) -> None:
        """Refuse, before any kernel is computed, what cannot fit in memory."""
        if solver == "qp":
            check_memory(
                3 * 8.0 * ns * ns,
                f"KMM's exact QP on {ns} source samples (dense {ns} x {ns} float64 kernel "
                "and the solver's copies)",
                suggestion='KMM(solver="pgd"), or solver="nystroem" for more than '
                f"{PGD_MAX_AUTO} samples",
            )
        elif solver == "pgd" and 4.0 * ns * ns <= self.max_kernel_memory:
            check_memory(
                4.0 * ns * ns,
                f"caching the {ns} x {ns} float32 kernel of KMM's pgd solver",
                suggestion="a smaller max_kernel_memory (recomputes kernel blocks), or KMM("
                'solver="nystroem")',
            )
        elif solver == "nystroem":
            m = min(self.n_landmarks, ns + nt)
            check_memory(
                4.0 * m * (ns + 4 * self.block_size + m) + 8.0 * m * m,
                f"the {ns} x {m} Nyström features of KMM",
                suggestion="a smaller n_landmarks",
            )

    def _fit(self, data: ValidatedDomains) -> np.ndarray:
        Xs, Xt = data.X, data.X_target
        ns, nt = Xs.shape[0], Xt.shape[0]
        solver = self.resolve_solver(ns)
        self._check_solver_memory(solver, ns, nt, Xs.shape[1])
        if self.sigma is None:
            self.sigma_ = median_heuristic(Xs, Xt, random_state=self.random_state, param="sigma")
        else:
            self.sigma_ = float(self.sigma)
        if self.epsilon is None:
            self.epsilon_ = (np.sqrt(ns) - 1.0) / np.sqrt(ns)
        else:
            self.epsilon_ = float(self.epsilon)
        if self.B * ns < ns * (1.0 - self.epsilon_):
            raise TransferKitInputError(
                f"B={self.B} is too small: the weights cannot reach the mean 1 - epsilon = "
                f"{1 - self.epsilon_:.3g}. Increase B or epsilon."
            )
        low, high = ns * (1.0 - self.epsilon_), ns * (1.0 + self.epsilon_)
        self.solver_ = solver
        self._X_fit = Xs
        self.n_iter_ = 0
        self.convergence_ = 0.0
        if solver == "nystroem":
            return self._solve_nystroem(Xs, Xt, low, high)
        kappa = np.zeros(ns)
        for rows, block in kernel_row_blocks(Xs, Xt, self.sigma_, block_size=self.block_size):
            kappa[rows] = block.sum(axis=1, dtype=np.float64)
        kappa *= ns / nt
        if solver == "qp":
            return self._solve_qp(Xs, kappa, low, high)
        return self._solve_pgd(Xs, kappa, low, high)

    def _objective(self, Kbeta: np.ndarray, beta: np.ndarray, kappa: np.ndarray) -> float:
        return float(0.5 * beta @ Kbeta - kappa @ beta)

    def _solve_qp(self, Xs: np.ndarray, kappa: np.ndarray, low: float, high: float) -> np.ndarray:
        solve_qp = require("qpsolvers", extra="qp", purpose='KMM(solver="qp")').solve_qp
        require("cvxopt", extra="qp", purpose='KMM(solver="qp")')

        ns = Xs.shape[0]
        K = np.empty((ns, ns))
        for rows, block in kernel_row_blocks(
            Xs, Xs, self.sigma_, block_size=self.block_size, dtype=np.float64
        ):
            K[rows] = block
        K[np.diag_indices(ns)] += 1e-8
        G = np.vstack([np.ones(ns), -np.ones(ns)])
        h = np.array([high, -low])
        beta = solve_qp(
            K,
            -kappa,
            G,
            h,
            lb=np.zeros(ns),
            ub=np.full(ns, float(self.B)),
            solver="cvxopt",
            abstol=1e-9,
            reltol=1e-9,
            feastol=1e-9,
        )
        if beta is None:
            raise TransferKitInputError(
                'The KMM QP solver did not converge; try solver="pgd" or a different sigma.'
            )
        beta = np.clip(np.asarray(beta, dtype=float), 0.0, float(self.B))
        Kbeta = K @ beta
        start = project_box_sum(np.ones(ns), float(self.B), low, high)
        f_start = self._objective(K @ start, start, kappa)
        self.convergence_ = self._relative_gap(beta, Kbeta, kappa, f_start, low, high)
        self.objective_ = self._objective(Kbeta, beta, kappa)
        return beta

    def _solve_pgd(self, Xs: np.ndarray, kappa: np.ndarray, low: float, high: float) -> np.ndarray:
        ns = Xs.shape[0]
        cache = 4.0 * ns * ns <= self.max_kernel_memory
        op = _KernelOperator(Xs, self.sigma_, cache, self.block_size)
        # Lipschitz constant of the gradient: largest eigenvalue of K (power iteration)
        v = np.ones(ns) / np.sqrt(ns)
        lip = 1.0
        for _ in range(30):
            w = op.matvec(v)
            new = float(np.linalg.norm(w))
            v = w / new
            if abs(new - lip) <= 1e-4 * new:
                lip = new
                break
            lip = new
        return self._fista(op.matvec, lip, kappa, low, high)

    def _solve_nystroem(
        self, Xs: np.ndarray, Xt: np.ndarray, low: float, high: float
    ) -> np.ndarray:
        rng = check_random_state(self.random_state)
        pooled = np.vstack([Xs, Xt])
        m = min(self.n_landmarks, pooled.shape[0])
        landmarks = pooled[rng.choice(pooled.shape[0], m, replace=False)]
        W = gaussian_kernel(landmarks, landmarks, self.sigma_)
        W[np.diag_indices(m)] += 1e-6  # jitter: W is numerically singular for wide kernels
        chol = np.linalg.cholesky(W)  # W = L L^T, so Phi = k(X, Z) L^{-T}
        proj = solve_triangular(chol, np.eye(m), lower=True).T.astype(np.float32)

        def features(X: np.ndarray) -> np.ndarray:
            out = np.empty((X.shape[0], proj.shape[1]), dtype=np.float32)
            for rows, block in kernel_row_blocks(
                X, landmarks, self.sigma_, block_size=4 * self.block_size
            ):
                out[rows] = block @ proj
            return out

        phi_s = features(Xs)
        mean_t = features(Xt).mean(axis=0, dtype=np.float64)
        ns = Xs.shape[0]
        kappa = ns * (phi_s @ mean_t.astype(np.float32)).astype(np.float64)
        gram = (phi_s.T @ phi_s).astype(np.float64)  # m x m; its top eigenvalue is lip
        v = np.ones(m) / np.sqrt(m)
        lip = 1.0
        for _ in range(50):
            w = gram @ v
            lip_new = float(np.linalg.norm(w))
            v = w / lip_new
            if abs(lip_new - lip) <= 1e-6 * lip_new:
                break
            lip = lip_new
        # diagonal correction (as in FITC): k(x, x) = 1 exactly, so the Nyström residual
        # K - Phi Phi^T has the known diagonal 1 - |Phi_i|^2 >= 0. Keeping it restores the
        # ridge-like part of K that a low-rank approximation misses (most of K's spectrum
        # in high dimension) and makes the problem strongly convex.
        diag = np.maximum(1.0 - np.einsum("ij,ij->i", phi_s, phi_s, dtype=np.float64), 0.0)
        lip = lip_new + float(diag.max())
        self.n_landmarks_ = m

        def matvec(u: np.ndarray) -> np.ndarray:
            low_rank = (phi_s @ (phi_s.T @ u.astype(np.float32))).astype(np.float64)
            return low_rank + diag * u

        return self._fista(matvec, lip, kappa, low, high)

    def _fista(
        self, matvec: Any, lip: float, kappa: np.ndarray, low: float, high: float
    ) -> np.ndarray:
        ns = kappa.shape[0]
        step = 1.0 / (1.02 * lip)
        upper = float(self.B)
        beta = project_box_sum(np.ones(ns), upper, low, high)
        Kbeta = matvec(beta)
        f_start = self._objective(Kbeta, beta, kappa)
        y, Ky, t = beta, Kbeta, 1.0
        crit = np.inf
        n_iter = 0
        bar = tqdm(total=self.max_iter, desc="KMM", disable=not self.verbose, leave=False)
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - used after the loop
            bar.update(1)
            new_beta = project_box_sum(y - step * (Ky - kappa), upper, low, high)
            K_new = matvec(new_beta)
            # gradient-based adaptive restart (O'Donoghue & Candès 2015): drop the momentum
            # when it points uphill. Unlike comparing objective values it is not fooled by
            # the rounding of float32 kernel products near the optimum.
            if float((y - new_beta) @ (new_beta - beta)) > 0.0:
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            momentum = (t - 1.0) / t_new
            # K is linear: K y = (1 + m) K beta_new - m K beta_old, one product per step
            y = new_beta + momentum * (new_beta - beta)
            Ky = (1.0 + momentum) * K_new - momentum * Kbeta
            beta, Kbeta, t = new_beta, K_new, t_new
            crit = self._relative_gap(beta, Kbeta, kappa, f_start, low, high)
            if crit <= self.tol:
                break
        bar.close()
        self.n_iter_ = n_iter
        self.convergence_ = float(crit)
        self.objective_ = self._objective(Kbeta, beta, kappa)
        if crit > self.tol:
            warnings.warn(
                f"KMM ({self.solver_!r} solver) stopped at max_iter={self.max_iter} with a "
                f"relative duality gap of {crit:.3g} > tol={self.tol:g}; the weights are not "
                "the KMM solution yet. Increase max_iter.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return beta

    def _relative_gap(
        self,
        beta: np.ndarray,
        Kbeta: np.ndarray,
        kappa: np.ndarray,
        f_start: float,
        low: float,
        high: float,
    ) -> float:
        r"""Frank-Wolfe duality gap over the progress made, a bound on the sub-optimality.

        For the convex objective :math:`f` on the constraint set :math:`C`,
        :math:`f(\beta) - f^* \le g^\top\beta - \min_{s\in C} g^\top s` with
        :math:`g = \nabla f(\beta)`, and :math:`f(\beta_0) - f^* \ge f(\beta_0) -
        f(\beta)`; their ratio bounds :math:`(f(\beta) - f^*) / (f(\beta_0) - f^*)`.
        """
        grad = Kbeta - kappa
        gap = float(grad @ beta) - _min_linear(grad, float(self.B), low, high)
        progress = f_start - self._objective(Kbeta, beta, kappa)
        if progress <= 0.0:
            return 0.0 if gap <= 1e-12 * max(1.0, abs(f_start)) else np.inf
        return max(gap, 0.0) / progress

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        num = np.zeros(X.shape[0])
        den = np.zeros(X.shape[0])
        beta32 = self.weights_.astype(np.float32)
        for rows, block in kernel_row_blocks(
            X, self._X_fit, self.sigma_, block_size=self.block_size
        ):
            num[rows] = block @ beta32
            den[rows] = block.sum(axis=1, dtype=np.float64)
        out = np.zeros(X.shape[0])
        ok = den > 1e-300
        out[ok] = num[ok] / den[ok]
        return out
