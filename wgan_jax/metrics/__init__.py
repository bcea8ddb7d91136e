"""Evaluation metrics."""

from wgan_jax.metrics.lowdim import mode_statistics, wasserstein1

__all__ = ["mode_statistics", "wasserstein1"]
