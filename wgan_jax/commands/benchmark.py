"""Time the train step: `python -m wgan_jax.benchmark --config NAME [--steps N] [--compare torch]`.

Prints one JSON line per measurement (and appends it to --out). Timings exclude
compilation and wait for the device. With --compare, the JAX step and a PyTorch
eager peer (`wgan_jax.torch_peer`, same architectures, losses, batch and
n_critic; `pip install "wgan_jax[torch]"`) run alternately in the same process, round by
round, and the line reports medians over rounds and their ratio.

  --dispatch both          also time the step dispatched one critic update at a time
  --devices D              data-parallel over D devices (on CPU, D simulated devices)
  --scaling 1,2,4,8        one subprocess per device count, per-device batch fixed
  --population 1,2,4,8,16  N seeds trained as one program (`wgan_jax.population`) against N
                           runs one after another, alternating rounds: member iterations/s
  --end_to_end N           N separate `wgan_jax.train` jobs (seeds seed .. seed+N-1), then one
                           job training the same N seeds as a population, each start to finish
                           (start-up, compilation, training, evaluation, checkpoints): wall and
                           CPU seconds, and how far each member's last logged metrics are from
                           its job's. Runs go to --workdir (default: a temporary folder, removed)
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from absl import flags

from wgan_jax import configs
from wgan_jax.commands import common


def _define_flags(flag_values: flags.FlagValues, argv: list[str]) -> dict:
  define = dict(flag_values=flag_values)
  return {
      "config": common.define_config_file("config", configs.CONFIG_DIR / "wgan_gp_cifar.py",
                                          "Experiment config (a shipped name or a file).",
                                          flag_values, argv),
      "steps": flags.DEFINE_integer("steps", 5, "Generator iterations per timed round.",
                                    **define),
      "repeats": flags.DEFINE_integer("repeats", 5, "Timed rounds (alternating with the peer).",
                                      **define),
      "compare": flags.DEFINE_list("compare", [], "Peers to time alongside: torch, "
                                   "torch_compile.", **define),
      "dispatch": flags.DEFINE_enum("dispatch", "fused", ["fused", "per_iteration", "both"],
                                    "How the JAX step is dispatched.", **define),
      "devices": flags.DEFINE_integer("devices", 1, "Devices to run data-parallel on.",
                                      **define),
      "scaling": flags.DEFINE_list("scaling", [], "Device counts to sweep (per-device batch "
                                   "fixed).", **define),
      "population": flags.DEFINE_list(
          "population", [], "Member counts N to time as populations (N seeds as one program) "
          "against the single run, alternating: e.g. 1,2,4,8,16.", **define),
      "end_to_end": flags.DEFINE_integer(
          "end_to_end", 0, "Time N separate training jobs of the config (N seeds) against one "
          "job training them as a population of N, start to finish.", **define),
      "workdir": flags.DEFINE_string(
          "workdir", None, "With --end_to_end: where the jobs' run directories go (kept); "
          "by default a temporary folder, removed afterwards.", **define),
      "out": flags.DEFINE_string("out", None, "Also append the JSON lines to this file.",
                                 **define),
      "label": flags.DEFINE_string("label", "", "Free-text label stored with each line.",
                                   **define),
  }


def _emit(record: dict, out: str | None) -> None:
  line = json.dumps(record)
  print(line, flush=True)
  if out:
    with open(out, "a") as f:
      f.write(line + "\n")


def _scaling_sweep(argv: list[str], per_device: int, counts: list[str]) -> int:
  """Re-runs this command once per device count, with simulated CPU devices where needed."""
  passthrough = [a for a in argv[1:] if not a.startswith(("--scaling", "--devices",
                                                          "--config.batch_size", "--compare",
                                                          "--dispatch"))]
  for count in (int(c) for c in counts):
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        f" --xla_force_host_platform_device_count={count}").strip()
    subprocess.run([sys.executable, "-m", "wgan_jax.benchmark", *passthrough,
                    f"--devices={count}", f"--config.batch_size={per_device * count}"],
                   env=env, check=True)
  return 0


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  given = _define_flags(flag_values, argv)
  common.parse_flags(argv, flag_values, __doc__)
  value = {name: holder.value for name, holder in given.items()}
  common.quiet_logs()
  config = value["config"]
  if value["scaling"]:
    return _scaling_sweep(argv, config.batch_size, value["scaling"])
  devices = value["devices"]
  if devices > 1 and "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={devices}")
  # Imported once the flags are parsed (and XLA_FLAGS set): --help and a bad flag answer at once.
  import jax

  from wgan_jax import benchmark

  if len(jax.local_devices()) < devices:
    print(f"error: {devices} devices requested, {len(jax.local_devices())} present.",
          file=sys.stderr)
    return common.USAGE_ERROR
  device = jax.local_devices()[0]
  base = {
      "device_kind": device.device_kind, "platform": device.platform,
      "device_count": devices, "host": platform.node(),
      "config": common.config_name(flag_values),
      "batch": config.batch_size, "per_device_batch": config.batch_size // devices,
      "n_critic": config.n_critic, "steps_per_round": value["steps"],
      "rounds": value["repeats"],
      "conv_lowering": config.model.get("conv_lowering", "auto"), "label": value["label"],
      "jax_version": jax.__version__,
  }
  if value["population"]:
    return _population_sweep(config, value, base)
  if value["end_to_end"]:
    return _end_to_end(flag_values, config, value, base)
  contenders = _contenders(config, value, devices, base)
  rates = {name: [] for name in contenders}
  for _ in range(value["repeats"]):  # alternate, so drift in machine speed hits every contender
    for name, (run_contender, _, _) in contenders.items():
      rates[name].append(benchmark.time_rounds(run_contender, value["steps"]))
  for record in _records(contenders, rates, base, config, value["compare"], devices):
    _emit(record, value["out"])
  return 0


def _population_sweep(config, value: dict, base: dict) -> int:
  """For each member count N: the population's rate against one run's, in alternating rounds.
  N runs one after another make one run's member iterations per second; a population makes N
  times its own rate."""
  from wgan_jax import benchmark

  single = benchmark.build_jax_step(config, 1, "fused", count_flops=False)
  for count in (int(n) for n in value["population"]):
    pop = benchmark.build_population_step(config, count)
    rates = {"population": [], "single": []}
    for _ in range(value["repeats"]):
      rates["population"].append(benchmark.time_rounds(pop.run, value["steps"]))
      rates["single"].append(benchmark.time_rounds(single.run, value["steps"]))
    population, alone = (benchmark.summarize(rates[k]) for k in ("population", "single"))
    _emit({**base, "impl": "jax_population", "members": count,
           "compile_sec": round(pop.compile_sec, 3),
           "single_compile_sec": round(single.compile_sec, 3),
           "population_gen_iters_per_sec": population["gen_iters_per_sec"],
           "member_iters_per_sec": count * population["gen_iters_per_sec"],
           "sequential_member_iters_per_sec": alone["gen_iters_per_sec"],
           "speedup_vs_sequential": (count * population["gen_iters_per_sec"] /
                                     alone["gen_iters_per_sec"]),
           "population_rounds": population["gen_iters_per_sec_rounds"],
           "single_rounds": alone["gen_iters_per_sec_rounds"]}, value["out"])
  return 0


# Metrics that measure the machine, not the run: left out when members are compared with jobs.
_TIMING_KEYS = frozenset({"gen_iters_per_sec", "elapsed_sec", "train_sec"})


def _config_args(flag_values: flags.FlagValues) -> list[str]:
  """The benchmark's config, named even when it is the flag's default (which is not
  `wgan_jax.train`'s), and the --config.KEY overrides as absl parsed them, for `wgan_jax.train`."""
  overrides = [flag_values[name].serialize() for name in flag_values
               if name.startswith("config.") and flag_values[name].present]
  return [f"--config={common.config_name(flag_values)}", *overrides]


def _timed_job(args: list[str], workdir: str) -> dict:
  """Runs `python -m wgan_jax.train ARGS --workdir=WORKDIR` (its output to WORKDIR.log):
  wall and CPU seconds, and the last logged metrics row of each member."""
  before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
  with open(workdir + ".log", "w") as log:
    done = subprocess.run([sys.executable, "-m", "wgan_jax.train", *args,
                           f"--workdir={workdir}"], stdout=log, stderr=subprocess.STDOUT)
  wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
  if done.returncode:
    with open(workdir + ".log") as log:
      tail = log.read()[-3000:]
    raise RuntimeError(f"wgan_jax.train {' '.join(args)} exited {done.returncode}; the end "
                       f"of {workdir}.log:\n{tail}")
  with open(os.path.join(workdir, "metrics.jsonl")) as metrics:
    last = {row.get("member", 0): row for row in map(json.loads, metrics)}  # rows in step order
  cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
  return {"wall_sec": wall, "cpu_sec": cpu, "last": last}


def _end_to_end(flag_values: flags.FlagValues, config, value: dict, base: dict) -> int:
  """N jobs one after another, then one population of N: each timed start to finish."""
  count, given = value["end_to_end"], _config_args(flag_values)
  workdir = value["workdir"] or tempfile.mkdtemp(prefix="wgan_jax_end_to_end_")
  os.makedirs(workdir, exist_ok=True)
  try:
    jobs = []
    for member in range(count):
      jobs.append(_timed_job([*given, f"--config.seed={config.seed + member}"],
                             os.path.join(workdir, f"job-{member}")))
      left = (count - member - 1) * sum(job["wall_sec"] for job in jobs) / len(jobs)
      print(f"job {member + 1}/{count} took {jobs[-1]['wall_sec']:.0f} s; the other jobs "
            f"about {left / 60:.0f} min more, then the population", file=sys.stderr, flush=True)
    population = _timed_job([*given, f"--config.seed={config.seed}",
                             f"--config.population.size={count}"],
                            os.path.join(workdir, "population"))
  except RuntimeError as error:
    print(f"error: {error}", file=sys.stderr)
    return 1
  finally:
    if not value["workdir"]:
      shutil.rmtree(workdir, ignore_errors=True)
  differences = {}
  for member, job in enumerate(jobs):  # member i trains what job i trains
    ours, theirs = population["last"][member], job["last"][0]
    for key in set(ours) & set(theirs) - _TIMING_KEYS - {"step", "member"}:
      differences[key] = max(differences.get(key, 0.0), abs(ours[key] - theirs[key]))
  jobs_wall = sum(job["wall_sec"] for job in jobs)
  record = {key: item for key, item in base.items() if key not in ("steps_per_round", "rounds")}
  _emit({**record, "impl": "end_to_end", "members": count, "num_steps": config.num_steps,
         "jobs_wall_sec": round(jobs_wall, 3),
         "jobs_cpu_sec": round(sum(job["cpu_sec"] for job in jobs), 1),
         "job_wall_sec": [round(job["wall_sec"], 3) for job in jobs],
         "job_train_sec": [round(job["last"][0]["train_sec"], 1) for job in jobs],
         "population_wall_sec": round(population["wall_sec"], 3),
         "population_cpu_sec": round(population["cpu_sec"], 1),
         "population_train_sec": round(population["last"][0]["train_sec"], 1),
         "speedup_vs_jobs": jobs_wall / population["wall_sec"],
         "member_vs_job_max_abs_difference": dict(sorted(differences.items()))},
        value["out"])
  return 0


def _contenders(config, value: dict, devices: int, base: dict) -> dict:
  """name -> (run(n), compile seconds, FLOPs per generator iteration): the JAX step in each
  dispatch asked for, then each PyTorch peer (whose versions join `base`)."""
  from wgan_jax import benchmark  # imports JAX: only once main has set XLA_FLAGS

  contenders = {}
  dispatches = ["fused", "per_iteration"] if value["dispatch"] == "both" else [value["dispatch"]]
  for dispatch in dispatches:
    timed = benchmark.build_jax_step(config, devices, dispatch)
    contenders[f"jax_{dispatch}"] = (timed.run, timed.compile_sec, timed.flops_per_gen_iter)
  if not value["compare"]:
    return contenders
  import torch  # the `torch` extra, for the peers only

  from wgan_jax.torch_peer import TorchStep
  shape = timed.experiment.example_shape
  real = torch.rand((config.n_critic, config.batch_size) + shape) * 2 - 1
  if len(shape) == 3:
    real = real.permute(0, 1, 4, 2, 3).contiguous()  # NCHW, PyTorch's native layout
  for peer in value["compare"]:
    torch_step = TorchStep(config, shape, compile_models=(peer == "torch_compile"))

    def run_peer(n, torch_step=torch_step):
      for _ in range(n):
        torch_step(real)
    start = benchmark.time_rounds(run_peer, 1)  # warm-up (and compilation for torch.compile)
    contenders[peer] = (run_peer, 1.0 / start, None)
  base["torch_version"] = torch.__version__
  base["torch_threads"] = torch.get_num_threads()
  return contenders


def _records(contenders: dict, rates: dict, base: dict, config, peers: list[str],
             devices: int) -> list[dict]:
  """One JSON record per contender: median rates, images per second, the share of the
  device's peak, and each JAX dispatch's speed-up over the peers."""
  import jax  # only once main has set XLA_FLAGS

  from wgan_jax import benchmark

  device = jax.local_devices()[0]
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
        record["peak_fraction_fp32"] = flops * record["gen_iters_per_sec"] / (peak * devices)
    results[name] = record
  for name, record in results.items():
    for peer in peers:
      if name.startswith("jax") and peer in results:
        record[f"speedup_vs_{peer}"] = record["gen_iters_per_sec"] / results[peer][
            "gen_iters_per_sec"]
    if name == "jax_fused" and "jax_per_iteration" in results:
      record["speedup_vs_per_iteration"] = (record["gen_iters_per_sec"] /
                                            results["jax_per_iteration"]["gen_iters_per_sec"])
  return list(results.values())


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
