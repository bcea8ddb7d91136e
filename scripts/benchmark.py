"""Time the train step: `python scripts/benchmark.py --config configs/NAME.py [--steps N] [--compare torch]`.

Prints one JSON line per measurement (and appends it to --out). Timings exclude
compilation and wait for the device. With --compare, the JAX step and a PyTorch
eager peer (benchmarks/torch_peer.py, same architectures, losses, batch and
n_critic) run alternately in the same process, round by round, and the line
reports medians over rounds and their ratio.

  --dispatch both          also time the step dispatched one critic update at a time
  --devices D              data-parallel over D devices (on CPU, D simulated devices)
  --scaling 1,2,4,8        one subprocess per device count, per-device batch fixed
"""

import json
import os
import platform
import subprocess
import sys

from absl import app, flags, logging

from configs import CONFIG_DIR
from wgan_jax import cli

_CONFIG = cli.define_config_file("config", str(CONFIG_DIR / "wgan_gp_cifar.py"),
                                 "Experiment config.")
_STEPS = flags.DEFINE_integer("steps", 5, "Generator iterations per timed round.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed rounds (alternating with the peer).")
_COMPARE = flags.DEFINE_list("compare", [], "Peers to time alongside: torch, torch_compile.")
_DISPATCH = flags.DEFINE_enum("dispatch", "fused", ["fused", "per_iteration", "both"],
                              "How the JAX step is dispatched.")
_DEVICES = flags.DEFINE_integer("devices", 1, "Devices to run data-parallel on.")
_SCALING = flags.DEFINE_list("scaling", [], "Device counts to sweep (per-device batch fixed).")
_OUT = flags.DEFINE_string("out", None, "Also append the JSON lines to this file.")
_LABEL = flags.DEFINE_string("label", "", "Free-text label stored with each line.")


def _emit(record: dict) -> None:
  line = json.dumps(record)
  print(line, flush=True)
  if _OUT.value:
    with open(_OUT.value, "a") as f:
      f.write(line + "\n")


def _scaling_sweep() -> None:
  """Re-runs this script once per device count, with simulated CPU devices where needed."""
  per_device = _CONFIG.value.batch_size
  # absl strips flags from main's argv; the sweep forwards the command line's own flags.
  passthrough = [a for a in sys.argv[1:] if not a.startswith(("--scaling", "--devices",
                                                               "--config.batch_size",
                                                               "--compare", "--dispatch"))]
  for count in (int(c) for c in _SCALING.value):
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        f" --xla_force_host_platform_device_count={count}").strip()
    subprocess.run([sys.executable, __file__, *passthrough, f"--devices={count}",
                    f"--config.batch_size={per_device * count}"], env=env, check=True)


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  if _SCALING.value:
    return _scaling_sweep()
  if _DEVICES.value > 1 and "xla_force_host_platform_device_count" not in os.environ.get(
      "XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={_DEVICES.value}")
  import jax

  from wgan_jax import benchmark

  config = _CONFIG.value
  if len(jax.local_devices()) < _DEVICES.value:
    print(f"error: {_DEVICES.value} devices requested, {len(jax.local_devices())} present.",
          file=sys.stderr)
    return 2
  device = jax.local_devices()[0]
  base = {
      "device_kind": device.device_kind, "platform": device.platform,
      "device_count": _DEVICES.value, "host": platform.node(), "config": _CONFIG_NAME(),
      "batch": config.batch_size, "per_device_batch": config.batch_size // _DEVICES.value,
      "n_critic": config.n_critic, "steps_per_round": _STEPS.value, "rounds": _REPEATS.value,
      "conv_lowering": config.model.get("conv_lowering", "auto"), "label": _LABEL.value,
      "jax_version": jax.__version__,
  }

  contenders = {}
  dispatches = ["fused", "per_iteration"] if _DISPATCH.value == "both" else [_DISPATCH.value]
  for dispatch in dispatches:
    timed = benchmark.build_jax_step(config, _DEVICES.value, dispatch)
    contenders[f"jax_{dispatch}"] = (timed.run, timed.compile_sec, timed.flops_per_gen_iter)
  if _COMPARE.value:
    import torch

    from benchmarks.torch_peer import TorchStep
    shape = timed.experiment.example_shape
    real = torch.rand((config.n_critic, config.batch_size) + shape) * 2 - 1
    if len(shape) == 3:
      real = real.permute(0, 1, 4, 2, 3).contiguous()  # NCHW, PyTorch's native layout
    for peer in _COMPARE.value:
      torch_step = TorchStep(config, shape, compile_models=(peer == "torch_compile"))

      def run(n, torch_step=torch_step):
        for _ in range(n):
          torch_step(real)
      start = benchmark.time_rounds(run, 1)  # warm-up (and compilation for torch.compile)
      contenders[peer] = (run, 1.0 / start, None)
    base["torch_version"] = torch.__version__
    base["torch_threads"] = torch.get_num_threads()

  rates = {name: [] for name in contenders}
  for _ in range(_REPEATS.value):  # alternate, so drift in machine speed hits every contender
    for name, (run, _, _) in contenders.items():
      rates[name].append(benchmark.time_rounds(run, _STEPS.value))

  results = {}
  for name, (_, compile_sec, flops) in contenders.items():
    record = {**base, "impl": name, "compile_sec": round(compile_sec, 3),
              **benchmark.summarize(rates[name])}
    record["critic_images_per_sec"] = (record["gen_iters_per_sec"] * config.n_critic *
                                       config.batch_size)
    if flops:
      record["flops_per_gen_iter"] = flops
      peak = benchmark.device_peak_flops(device)
      if peak:
        record["peak_fraction_fp32"] = flops * record["gen_iters_per_sec"] / (peak * _DEVICES.value)
    results[name] = record
  for name, record in results.items():
    for peer in _COMPARE.value:
      if name.startswith("jax") and peer in results:
        record[f"speedup_vs_{peer}"] = record["gen_iters_per_sec"] / results[peer][
            "gen_iters_per_sec"]
    if name == "jax_fused" and "jax_per_iteration" in results:
      record["speedup_vs_per_iteration"] = (record["gen_iters_per_sec"] /
                                            results["jax_per_iteration"]["gen_iters_per_sec"])
    _emit(record)
  return 0


def _CONFIG_NAME() -> str:  # noqa: N802 -- the flag's raw text, e.g. configs/wgan_gp_cifar.py:clip
  return flags.FLAGS["config"].serialize().split("=", 1)[-1]


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
