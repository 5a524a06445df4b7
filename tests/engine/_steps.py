"""Small steps shared by the engine tests (also imported by spawned processes)."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from transferkit.engine import TrainStep


class EntropyStep(TrainStep):
    """Cross-entropy on the source + 0.1 x mean prediction entropy on the target."""

    def __init__(self, d: int = 6, k: int = 3, dropout: float = 0.0, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, k))
        with torch.no_grad():
            for p in self.net.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)

    def settings(self):
        return {"dropout": self.net[2].p}

    def forward(self, batch, state):
        xs, ys = batch.source
        self.seen = getattr(self, "seen", 0) + xs.shape[0]
        ce = F.cross_entropy(self.net(xs), ys)
        loss = ce
        if batch.target is not None:
            p = torch.softmax(self.net(batch.target[0]), 1)
            ent = -(p * torch.log(p + 1e-8)).sum(1).mean()
            loss = ce + 0.1 * ent
        return loss, {"ce": ce}


def toy(n=48, nt=40, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.randn(n, d, generator=g) + y.view(-1, 1) * 0.7
    Xt = torch.randn(nt, d, generator=g) + 0.3
    return X, y, Xt


def ddp_worker(rank: int, world: int, init_file: str, out: str, n: int, epochs: int) -> None:
    """Train EntropyStep on one rank of a gloo process group; rank 0 saves the weights."""
    import torch.distributed as dist

    from transferkit.engine import AnnealedLR, DomainBatches, Engine, as_source

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        X, y, Xt = toy(n=n)
        step = EntropyStep()
        data = DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)
        opt = torch.optim.SGD(step.parameters(), lr=0.05, momentum=0.9)
        Engine(epochs, random_state=3, callbacks=[AnnealedLR()]).fit(step, data, opt)
        if rank == 0:
            torch.save({"state": step.state_dict(), "seen": step.seen}, out)
    finally:
        dist.destroy_process_group()
