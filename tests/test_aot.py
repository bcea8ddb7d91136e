"""The TPU pre-flight: the trainer's step compiled for TPU slices that are not attached."""

import json
import math
import pathlib
import subprocess
import sys

import jax
import pytest

from wgan_jax.configs import default as default_config
from wgan_jax import aot
from wgan_jax.config import ConfigError

pytest.importorskip("libtpu", reason="compiling for TPU needs libtpu: pip install -e '.[aot]'")
# The suite's persistent compilation cache stores TPU programs it cannot load back (compile-only
# devices have no client); XLA then compiles again, as it would have.
pytestmark = pytest.mark.filterwarnings("ignore:Error reading persistent compilation cache")

REPO = pathlib.Path(__file__).resolve().parents[1]
SMALL_SLICE = "tpu:v5e:2x2"  # four chips on one host


def tiny_config(**overrides):
  c = default_config.get_config()
  c.model.generator.width = 32
  c.model.critic.width = 32
  c.batch_size = 8
  c.data.toy_pool_size = 1000
  c.data.device_resident = False
  c.update_from_flattened_dict(overrides)
  return c


def critic_parameter_bytes(config):
  from wgan_jax import builder
  state = builder.build(config, open_data=False).abstract_state()
  return sum(leaf.size * leaf.dtype.itemsize
             for leaf in jax.tree_util.tree_leaves(state.critic_params))


def test_the_report_accounts_for_the_critic_loop_and_the_gradient_all_reduces():
  config = tiny_config()
  report = aot.preflight(config, aot.target(SMALL_SLICE), search=False)
  assert (report["chips"], report["hosts"], report["per_chip_batch"]) == (4, 1, 2)
  assert report["device_kind"] == "TPU v5 lite" and report["parallelism"] == "shard_map"
  memory = report["hbm_bytes"]
  assert set(memory) == {"arguments", "outputs", "aliased", "temporaries", "code", "total"}
  assert 0 < memory["total"] < report["hbm_capacity_bytes"] == 16 * 2**30
  assert memory["aliased"] > 0  # the donated state is updated in place
  # XLA counts the loop body once; the report adds the other n_critic - 1 critic iterations.
  assert report["flops_per_gen_iter"] > report["step_flops_loop_counted_once"]
  assert report["critic_loop_flops"] < report["flops_per_gen_iter"]
  # Every critic iteration all-reduces the critic's gradients across chips.
  assert report["all_reduce_bytes_per_gen_iter"] >= 5 * critic_parameter_bytes(config)
  json.dumps(report)


def test_per_chip_memory_grows_with_the_batch():
  small = aot.preflight(tiny_config(), aot.target(SMALL_SLICE), per_chip_batch=2, search=False)
  large = aot.preflight(tiny_config(), aot.target(SMALL_SLICE), per_chip_batch=4096,
                        search=False)
  assert large["hbm_bytes"]["arguments"] > small["hbm_bytes"]["arguments"]
  assert large["hbm_bytes"]["total"] > small["hbm_bytes"]["total"]
  assert large["flops_per_gen_iter"] > 100 * small["flops_per_gen_iter"]


def test_a_multi_host_slice_compiles_through_the_same_path():
  report = aot.preflight(tiny_config(batch_size=16), aot.target("tpu:v5e:4x4"), search=False)
  assert (report["chips"], report["hosts"], report["per_chip_batch"]) == (16, 4, 1)


def test_a_batch_that_does_not_split_over_the_chips_is_refused():
  with pytest.raises(ConfigError, match="does not split over the 4 chips"):
    aot.preflight(tiny_config(batch_size=6), aot.target(SMALL_SLICE), search=False)


def test_slice_names_map_to_topologies():
  assert aot.target("v4-8") == aot.Target("v4-8", "v4:2x2x1", "megacore", (2, 2, 1))
  assert aot.target("v5p-16").topology == "v5:2x2x2"
  assert aot.target("v5e-8").chips_per_host == (2, 4, 1)  # one host of eight chips
  assert aot.target("v5e-256").topology == "v5e:16x16"
  assert len(aot.target("v4-8").devices()) == 4  # one megacore device per chip
  with pytest.raises(ConfigError, match="Unknown target"):
    aot.target("v9-8")
  with pytest.raises(ConfigError, match="no v5e slice of 3 chips"):
    aot.target("v5e-3")


@pytest.mark.parametrize("limit", [1, 37, 1000, 5000])
@pytest.mark.parametrize("guess", [1, 64, 100_000])
def test_the_batch_search_brackets_the_limit(limit, guess):
  tried = []

  def fits(batch):
    tried.append(batch)
    return batch <= limit

  low, high = aot.largest_batch(fits, 1, guess, tolerance=1.25)
  assert low <= limit < high and high / low <= 1.25 or (low, high) == (limit, limit + 1)
  # A power-of-two walk from the guess to the limit, then a few bisections.
  assert len(tried) == len(set(tried)) <= abs(math.log2(guess / limit)) + 6


def test_all_reduce_bytes_are_read_from_the_compiled_module():
  hlo = """
  %psum.1 = f32[2,8]{1,0} all-reduce(%x), channel_id=1, to_apply=%add
  %ar.2 = (f32[16]{0}, bf16[4,4]{1,0}) all-reduce-start(%y, %z), channel_id=2, to_apply=%add
  %done = (f32[16]{0}, bf16[4,4]{1,0}) all-reduce-done(%ar.2)
  ROOT %t = f32[3] add(%a, %b)
  """
  assert aot.all_reduce_bytes(hlo) == (2, 2 * 8 * 4 + 16 * 4 + 16 * 2)


def _preflight(*flags, config="default.py"):
  return subprocess.run(
      [sys.executable, str(REPO / "scripts" / "preflight.py"),
       f"--config={REPO / 'configs' / config}", "--config.model.critic.width=32",
       "--config.model.generator.width=32", "--config.batch_size=8",
       "--config.data.toy_pool_size=1000", "--config.eval.metrics=()", *flags],
      cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.slow  # a subprocess and four compiles
def test_the_script_prints_one_json_line_and_finds_the_largest_batch():
  # Megapixel images through MLPs: about 60 MB of HBM per example, so the limit is near 128.
  run = _preflight(f"--target={SMALL_SLICE}", "--tolerance=2", "--search_from=64",
                   "--config.data.source=tfds", "--config.data.name=cifar10",
                   "--config.data.image_size=1024", "--config.data.channels=3",
                   "--config.data.device_resident=False")
  assert run.returncode == 0, run.stderr[-3000:]
  report = json.loads(run.stdout.strip().splitlines()[-1])
  high, low = report["first_per_chip_batch_not_fitting"], report["max_per_chip_batch"]
  assert 64 <= low < high <= 2 * low
  assert report["batches_compiled"] == [2, 64, 128, 256][:len(report["batches_compiled"])]
  assert "exceeds available HBM" in report["not_fitting_reason"]
  assert report["hbm_bytes"]["total"] < report["hbm_bytes_at_max_batch"]
  assert report["hbm_bytes_at_max_batch"] <= report["hbm_capacity_bytes"]


def test_the_script_names_a_batch_that_does_not_fit_and_a_bad_target():
  too_big = _preflight(f"--target={SMALL_SLICE}", "--per_chip_batch=67108864", "--nosearch")
  assert too_big.returncode == 6, too_big.stderr[-3000:]
  assert "does not fit in one TPU v5 lite chip's HBM (16.0 GiB)" in too_big.stderr
  bad = _preflight("--target=v9-8", "--nosearch")
  assert bad.returncode == 2 and "Unknown target 'v9-8'" in bad.stderr


def test_a_missing_compiler_is_named_with_its_install_command(monkeypatch):
  real_find_spec = aot.importlib.util.find_spec
  monkeypatch.setattr(aot.importlib.util, "find_spec",
                      lambda name, *rest: None if name == "libtpu" else real_find_spec(name, *rest))
  with pytest.raises(aot.CompilerMissing, match=r"libtpu .*pip install -e \"\.\[aot\]\""):
    aot.target(SMALL_SLICE).devices()
  monkeypatch.setattr(aot.importlib.util, "find_spec", lambda name, *rest: None)
  with pytest.raises(aot.CompilerMissing, match=r"xla_cuda12 .*\[aot-gpu\]"):
    aot.target("h100-8").devices()


def test_the_script_exits_3_without_the_compiler():
  hide_libtpu = (
      "import importlib.util as u, runpy, sys; find = u.find_spec; "
      "u.find_spec = lambda name, *rest: None if name == 'libtpu' else find(name, *rest); "
      "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
  run = subprocess.run(
      [sys.executable, "-c", hide_libtpu, str(REPO / "scripts" / "preflight.py"),
       f"--target={SMALL_SLICE}", "--nosearch"],
      cwd=REPO, capture_output=True, text=True, timeout=300)
  assert run.returncode == 3, run.stderr[-3000:]
  assert "needs the libtpu module, which is not installed" in run.stderr


def test_gpu_targets_name_one_host_of_up_to_eight():
  assert aot.target("h200-1") == aot.Target("h200-1", "1x1x1", gpu="h200")
  assert aot.target("a100-16") == aot.Target("a100-16", "1x2x8", gpu="a100")
  with pytest.raises(ConfigError, match="h100-8, h200-8, a100-8"):
    aot.target("b200-8")


def test_a_gpu_offers_the_share_of_its_memory_that_jax_allocates(monkeypatch):
  monkeypatch.delenv("XLA_PYTHON_CLIENT_MEM_FRACTION", raising=False)
  h200 = aot.target("h200-1")
  assert h200.capacity("NVIDIA H200") == int(143_771 * 2**20 * 0.75)
  monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", ".95")
  assert h200.capacity("NVIDIA H200") == int(143_771 * 2**20 * 0.95)
  monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", "most")
  with pytest.raises(ConfigError, match="XLA_PYTHON_CLIENT_MEM_FRACTION='most' is not a number"):
    h200.capacity("NVIDIA H200")


def test_nvidia_gpus_compile_without_a_gpu():
  pytest.importorskip("jax_plugins.xla_cuda12", reason="needs the CUDA plugin: pip install "
                      "-e '.[aot-gpu]'")
  assert aot.target("h100-16") == aot.Target("h100-16", "1x2x8", gpu="h100")
  with pytest.raises(ConfigError, match="8 to a host"):
    aot.target("h100-12")
  # Without a GPU driver the plugin loads only with JAX_PLATFORMS=cpu, which the script sets.
  run = _preflight("--target=h100-8", "--nosearch", "--config.batch_size=16")
  assert run.returncode == 0, run.stderr[-3000:]
  report = json.loads(run.stdout.strip().splitlines()[-1])
  assert (report["platform"], report["chips"], report["hosts"]) == ("cuda", 8, 1)
  assert report["device_kind"] == "NVIDIA H100 80GB HBM3"
  assert 0 < report["hbm_bytes"]["total"] < report["hbm_capacity_bytes"]
  assert report["flops_per_gen_iter"] is None  # XLA:GPU gives no FLOP count
  assert report["all_reduce_bytes_per_gen_iter"] >= 5 * critic_parameter_bytes(tiny_config())


def test_the_members_search_compiles_populations_up_to_what_fits():
  report = aot.members_per_chip(tiny_config(batch_size=8), aot.target(SMALL_SLICE), limit=8)
  assert report["max_members_per_chip"] == 8 and report["first_members_not_fitting"] is None
  assert report["not_fitting_reason"] == "more than 8 members were not tried"
  assert report["members_compiled"][0] == 1 and max(report["members_compiled"]) == 8
  assert report["hbm_bytes_at_max_members"] > report["hbm_bytes_one_member"]
