"""Fixtures of the deep estimators' tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def resume_after_interrupt(monkeypatch):
    """``(cls, params, ((X, y), fit_kwargs), folder) -> estimator``: fit with
    ``checkpoint_dir=folder``, interrupt it before epoch 2 is saved, then fit again with
    the same folder (which resumes from epoch 2)."""
    from transferkit.deep.selection import EpochSelection
    from transferkit.engine import AnnealedLR

    def run(cls, params, fit_args, folder, stop_at=2):
        real = AnnealedLR.on_epoch_end  # runs before the checkpoint of every epoch

        def stop(self, state):
            if state.epoch == stop_at:
                raise KeyboardInterrupt
            real(self, state)

        monkeypatch.setattr(AnnealedLR, "on_epoch_end", stop)
        with pytest.raises(KeyboardInterrupt):
            cls(**params, checkpoint_dir=str(folder)).fit(*fit_args[0], **fit_args[1])
        monkeypatch.undo()
        assert EpochSelection.order < 15  # its per-epoch state is in every checkpoint
        return cls(**params, checkpoint_dir=str(folder)).fit(*fit_args[0], **fit_args[1])

    return run
