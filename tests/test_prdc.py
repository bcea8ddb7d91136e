import numpy as np
import pytest

from wgan_jax.metrics.prdc import knn_radii, prdc


def _direct(real, fake, k_pr=3, k_dc=5):
  """The definitions on whole distance matrices, in NumPy."""
  def distances(a, b):
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
  def radii(x, k):
    return np.sort(distances(x, x), axis=1)[:, k]  # index 0 is the point itself
  real_fake = distances(real, fake)
  return {
      "precision": np.mean((real_fake < radii(real, k_pr)[:, None]).any(axis=0)),
      "recall": np.mean((real_fake < radii(fake, k_pr)[None, :]).any(axis=1)),
      "density": np.mean((real_fake < radii(real, k_dc)[:, None]).sum(axis=0)) / k_dc,
      "coverage": np.mean(real_fake.min(axis=1) < radii(real, k_dc)),
  }


def _sets(seed=0, n=150, m=130, d=8, shift=0.7):
  rng = np.random.default_rng(seed)
  return rng.normal(size=(n, d)), rng.normal(size=(m, d)) * 1.3 + shift


def test_prdc_matches_the_definitions_on_whole_distance_matrices_at_any_block_size():
  real, fake = _sets()
  want = _direct(real, fake)
  for block in (7, 64, 1024):
    got = prdc(real, fake, block=block)
    for name, value in want.items():
      assert got[name] == pytest.approx(value, abs=1e-9), (name, block)
  radii = knn_radii(real.astype(np.float32), 3, block=16)
  np.testing.assert_allclose(np.sqrt(radii), np.sort(
      np.sqrt(((real[:, None] - real[None]) ** 2).sum(-1)), axis=1)[:, 3], rtol=1e-5)


def test_prdc_matches_the_authors_package():
  reference = pytest.importorskip("prdc")  # the `test` extra installs it
  real, fake = _sets(seed=1)
  got = prdc(real, fake)
  at_3 = reference.compute_prdc(real, fake, nearest_k=3)
  at_5 = reference.compute_prdc(real, fake, nearest_k=5)
  assert got["precision"] == pytest.approx(at_3["precision"])
  assert got["recall"] == pytest.approx(at_3["recall"])
  assert got["density"] == pytest.approx(at_5["density"])
  assert got["coverage"] == pytest.approx(at_5["coverage"])


def test_prdc_on_sets_whose_answers_are_known():
  real, _ = _sets(seed=2)
  same = prdc(real, real)  # every fake sits on a real point and the reverse
  assert same["precision"] == same["recall"] == same["coverage"] == 1.0
  far = prdc(real, real + 100.0)  # nothing shared
  assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
  half = prdc(real, np.concatenate([real[:75], real[:75] + 100.0]))  # half the fakes are real
  assert half["precision"] == pytest.approx(0.5)
  with pytest.raises(ValueError, match="k=3 nearest neighbours need more than 3 features"):
    prdc(real, real[:3])
