"""Record what a module submits to its worker-process pool (a real pool: the work still runs)."""

from __future__ import annotations


def spy_on_pool(monkeypatch, module) -> list[tuple]:
    """Replace ``module.ProcessPoolExecutor`` with a subclass that records each
    ``submit``'s arguments; returns the list it appends to."""
    submitted: list[tuple] = []

    class Pool(module.ProcessPoolExecutor):
        def submit(self, fn, *args):
            submitted.append(args)
            return super().submit(fn, *args)

    monkeypatch.setattr(module, "ProcessPoolExecutor", Pool)
    return submitted
