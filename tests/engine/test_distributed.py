"""Data parallelism: 2 gloo processes train the same model as 1 process."""

from __future__ import annotations

import torch
import torch.multiprocessing as mp
from _steps import EntropyStep, ddp_worker, toy

from transferkit.engine import AnnealedLR, DomainBatches, Engine, as_source


def test_two_processes_match_one(tmp_path):
    n, epochs = 51, 3  # the last batch (3 samples) splits unevenly: 2 + 1
    out = tmp_path / "ddp.pt"
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=ddp_worker, args=(r, 2, str(tmp_path / "init"), str(out), n, epochs))
        for r in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    alive = [p for p in procs if p.is_alive()]
    for p in alive:
        p.kill()
    assert not alive, "the 2-process run did not finish within 180 s"
    assert all(p.exitcode == 0 for p in procs)

    X, y, Xt = toy(n=n)
    step = EntropyStep()
    data = DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)
    opt = torch.optim.SGD(step.parameters(), lr=0.05, momentum=0.9)
    Engine(epochs, random_state=3, callbacks=[AnnealedLR()]).fit(step, data, opt)
    saved = torch.load(out, weights_only=True)
    two = saved["state"]
    assert saved["seen"] == epochs * (6 * 4 + 2)  # rank 0 took its half of every batch
    moved = 0.0
    for k, v in step.state_dict().items():
        torch.testing.assert_close(two[k], v, rtol=1e-5, atol=1e-6)
        moved += float((v - EntropyStep().state_dict()[k]).abs().sum())
    assert moved > 1.0  # the models trained (the comparison is not between two inits)
