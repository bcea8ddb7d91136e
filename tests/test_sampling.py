"""Sampling from a run directory: what it refuses, and that it leaves the directory as it was."""

import json
import os

import pytest

from wgan_jax import sampling


def test_sampling_needs_a_saved_checkpoint_and_creates_nothing(tmp_path):
  workdir = tmp_path / "run"
  with pytest.raises(FileNotFoundError, match="config.json"):
    sampling.load_run(str(workdir))
  workdir.mkdir()
  (workdir / "config.json").write_text(json.dumps({"seed": 0}))
  with pytest.raises(FileNotFoundError, match="No checkpoint"):
    sampling.load_run(str(workdir))
  assert os.listdir(workdir) == ["config.json"]  # no empty checkpoints/ left behind


@pytest.mark.parametrize("num", [0, -5])
def test_a_sample_count_below_one_is_refused(num):
  with pytest.raises(ValueError, match="at least one"):
    sampling.generate_samples(None, None, num)
