"""The training revision moves with the numbers: a change that makes an unchanged config train
or sample differently fails here until `rundir.TRAINING_REVISION` is raised and the numbers are
recorded again, so figures drawn by the older code are reported stale
(`python -m wgan_jax.reproduce --stale`).

After raising it:  python -m tests.test_revision   (rewrites tests/data/training_revision.json)
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import builder, rundir
from wgan_jax.config import base_config
from wgan_jax.sampling import draw_samples, sample_settings

RECORD = pathlib.Path(__file__).parent / "data" / "training_revision.json"

# Every constraint and objective the step has, one tiny config each, plus a BatchNorm generator
# whose samples show the sampling statistics: (config spec or "" for the base toy config,
# dotted overrides).
CASES = {
    "penalty": ("", {}),
    "one_sided_penalty": ("", {"constraint.one_sided": True}),
    "clipping": ("wgan_gp_toy:8gaussians,wgan", {"constraint.clip_value": 0.1}),
    "gan": ("", {"objective": "gan", "constraint.kind": "none"}),
    "lsgan": ("", {"objective": "lsgan", "constraint.kind": "none"}),
    "hinge_spectral": ("", {"objective": "hinge", "constraint.kind": "spectral"}),
    "r1_lazy": ("", {"objective": "gan", "constraint.kind": "r1", "constraint.every": 2}),
    "penalty_ema": ("", {"ema.decay": 0.9}),
    "dcgan_mnist_batchnorm": ("gan_baseline:dcgan,dcgan,mnist",
                              {"model.generator.width": 4, "model.critic.width": 4}),
}


def _config(name: str):
  spec, overrides = CASES[name]
  if spec:
    import importlib
    module, arg = spec.split(":")
    config = importlib.import_module(f"wgan_jax.configs.{module}").get_config(arg)
  else:
    config = base_config()
  config.update_from_flattened_dict({"batch_size": 8, "n_critic": 2, "model.generator.width": 16,
                                     "model.critic.width": 16, **overrides})
  return config


def fingerprint(name: str) -> dict[str, float]:
  """Metrics after two generator iterations on fixed batches, and the mean and spread of the
  samples the trainer would draw from the result."""
  config = _config(name)
  experiment = builder.build(config, open_data=False)
  state = experiment.init_state()
  rng = np.random.default_rng(0)
  step = jax.jit(experiment.train_step)
  for _ in range(2):
    x = jnp.asarray(rng.uniform(-1, 1, (2, 8) + experiment.example_shape).astype(np.float32))
    state, metrics = step(state, x)
  samples, _, _ = draw_samples(experiment.generator, state, 8, sample_settings(config),
                               latent=experiment.latent)
  return {**{key: float(value) for key, value in metrics.items()},
          "samples_mean": float(np.mean(samples)), "samples_std": float(np.std(samples))}


def test_the_record_is_of_the_current_revision():
  recorded = json.loads(RECORD.read_text())
  assert recorded["training_revision"] == rundir.TRAINING_REVISION, (
      "TRAINING_REVISION was raised: record its numbers with `python -m tests.test_revision`.")
  assert sorted(recorded["fingerprints"]) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_step_computes_what_its_revision_recorded(name):
  recorded = json.loads(RECORD.read_text())["fingerprints"][name]
  measured = fingerprint(name)
  assert sorted(measured) == sorted(recorded)
  for key, value in recorded.items():
    np.testing.assert_allclose(
        measured[key], value, rtol=2e-4, atol=1e-6,
        err_msg=f"{name}/{key}: the code now trains or samples differently than training "
                f"revision {rundir.TRAINING_REVISION} did. If that is intended, raise "
                f"TRAINING_REVISION in wgan_jax/rundir.py (say what changed there) and run "
                f"`python -m tests.test_revision`; figures drawn before are then stale.")


def record() -> None:
  """Rewrites the record with the current code's numbers, under the current revision."""
  data = {"about": "Metrics after two generator iterations (batch 8, n_critic 2, widths 16 or "
                   "4, uniform batches from numpy seed 0) and the mean and spread of 8 samples, "
                   "of one tiny config per constraint and objective; tests/test_revision.py.",
          "training_revision": rundir.TRAINING_REVISION,
          "fingerprints": {name: fingerprint(name) for name in sorted(CASES)}}
  RECORD.write_text(json.dumps(data, indent=1) + "\n")
  print(f"wrote {RECORD}")


if __name__ == "__main__":
  record()
