"""Compiling the configured train step for a TPU slice that is not attached: a pre-flight.

    report = preflight(config, target("v5e-8"))   # one dict, printed as a JSON line

With the `libtpu` wheel installed (`pip install -e ".[aot]"`), XLA compiles for a described TPU
topology on any host, CPU-only ones included. NVIDIA GPUs work the same way with the CUDA
plugin alone (`pip install -e ".[aot-gpu]"`, no driver or GPU needed): `target("h100-8")`
describes the GPU to XLA by its data-sheet figures; XLA reports no FLOP count for them.

What is compiled is the trainer's program on that slice: the step `builder.build` makes, run as
`jit(shard_map(...))` over a mesh of every chip of every host (`parallel.MeshPlacement`, the
trainer's TPU path), the global batch split per chip, the state donated, the config's compute
dtype and XLA's own convolutions. Every figure is the compiler's analysis of that program, not
a measurement of its speed:

- HBM per chip: the compiled program's arguments, outputs (less those aliased to donated
  arguments), temporaries and code, against the chip's capacity (under the WGAN schedule, the
  larger of its two programs, 5 and 100 critic iterations);
- FLOPs and all-reduce bytes per generator iteration, per chip. XLA's cost analysis counts a
  loop body once, so the critic update is also compiled alone and the loop's other
  `n_critic - 1` iterations are added;
- the largest per-chip batch that compiles: XLA refuses a program that does not fit in HBM
  ("Ran out of memory"), so each candidate is compiled, not extrapolated.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import re
import time
from typing import Any, Callable

import jax
import ml_collections
import numpy as np
from jax.experimental import topologies
from jax.sharding import Mesh

from wgan_jax import builder, parallel, program
from wgan_jax.config import ConfigError
from wgan_jax.data import resident as resident_data, shapes

AXIS = parallel.DEFAULT_AXIS
GIB = 2**30

# HBM per chip from the vendor's data sheets, by the device kind the topology reports.
HBM_BYTES = {"TPU v4": 32 * GIB, "TPU v5 lite": 16 * GIB, "TPU v5": 95 * GIB,
             "TPU v6 lite": 32 * GIB}

# Slice shapes (chips along each torus axis) by chip count, and how each generation is
# named: v4 and v5p slices count TensorCores (two per chip, run as one megacore device),
# v5e and v6e count chips. Hosts hold 4 chips, except the single-host 8-chip v5e and v6e.
_PLANAR = {1: "1x1", 4: "2x2", 8: "2x4", 16: "4x4", 32: "4x8", 64: "8x8", 128: "8x16",
           256: "16x16"}
_CUBIC = {4: "2x2x1", 8: "2x2x2", 16: "2x2x4", 32: "2x4x4", 64: "4x4x4", 128: "4x4x8",
          256: "4x8x8", 512: "8x8x8", 1024: "8x8x16", 2048: "8x16x16"}
_GENERATIONS = {  # name prefix -> (topology prefix, shapes, cores per chip, chip config)
    "v4": ("v4", _CUBIC, 2, "megacore"),
    "v5p": ("v5", _CUBIC, 2, "megacore"),
    "v5e": ("v5e", _PLANAR, 1, "default"),
    "v6e": ("v6e", _PLANAR, 1, "default"),
}


@dataclasses.dataclass(frozen=True)
class GpuChip:
  """What XLA needs to know of an NVIDIA GPU to compile for it (vendor data-sheet figures)."""

  description: str
  compute_capability: tuple[int, int]
  multiprocessors: int
  l2_cache_bytes: int
  memory_bandwidth: int  # bytes per second
  clock_ghz: float
  memory_bytes: int
  shared_memory_per_multiprocessor: int
  shared_memory_per_block_optin: int

  def target_config(self) -> str:
    """The chip as a `GpuTargetConfigProto` in text form."""
    major, minor = self.compute_capability
    return f"""gpu_device_info {{
  threads_per_block_limit: 1024 threads_per_warp: 32 shared_memory_per_block: 49152
  shared_memory_per_core: {self.shared_memory_per_multiprocessor} threads_per_core_limit: 2048
  core_count: {self.multiprocessors} fpus_per_core: 128
  block_dim_limit_x: 2147483647 block_dim_limit_y: 65535 block_dim_limit_z: 65535
  memory_bandwidth: {self.memory_bandwidth} l2_cache_size: {self.l2_cache_bytes}
  clock_rate_ghz: {self.clock_ghz} device_memory_size: {self.memory_bytes}
  shared_memory_per_block_optin: {self.shared_memory_per_block_optin}
  cuda_compute_capability {{ major: {major} minor: {minor} }}
  registers_per_core_limit: 65536 registers_per_block_limit: 65536
}}
platform_name: "CUDA"
dnn_version_info {{ major: 9 minor: 8 }}
runtime_version {{ major: 12 minor: 8 }}
device_description_str: "{self.description}"
"""


GPUS = {
    "h100": GpuChip("NVIDIA H100 80GB HBM3", (9, 0), 132, 50 * 2**20, 3_352_320_000_000, 1.98,
                    84_929_347_584, 233_472, 232_448),
    # The H100's processor with 141 GB of HBM3e at 4.8 TB/s (data sheet); memory and L2 as
    # nvidia-smi (143,771 MiB) and PyTorch (60 MB) report them on an H200 SXM.
    "h200": GpuChip("NVIDIA H200", (9, 0), 132, 60 * 2**20, 4_800_000_000_000, 1.98,
                    150_754_820_096, 233_472, 232_448),
    "a100": GpuChip("NVIDIA A100-SXM4-80GB", (8, 0), 108, 40 * 2**20, 2_039_000_000_000, 1.41,
                    85_899_345_920, 167_936, 166_912),
}
GPUS_PER_HOST = 8


class PreflightError(RuntimeError):
  """The program cannot be compiled for the target; the message names the limit."""


class CompilerMissing(PreflightError):
  """This machine lacks the target's compiler (libtpu or the CUDA plugin): nothing was tried."""


# The module each platform's compile-only client comes from, and the extra that installs it.
_COMPILERS = {"tpu": ("libtpu", "aot"), "cuda": ("jax_plugins.xla_cuda12", "aot-gpu")}


def _require_compiler(platform: str) -> None:
  module, extra = _COMPILERS[platform]
  try:
    found = importlib.util.find_spec(module) is not None
  except ImportError:  # a missing parent package
    found = False
  if not found:
    raise CompilerMissing(f"Compiling for {platform.upper()} needs the {module} module, which "
                          f"is not installed: pip install -e \".[{extra}]\".")


@dataclasses.dataclass(frozen=True)
class Target:
  """A slice to compile for: a topology as libtpu (or the CUDA plugin) names it, and how chips
  sit on hosts."""

  name: str
  topology: str
  chip_config: str = "default"
  chips_per_host: tuple[int, int, int] | None = None  # None: libtpu's default (4 chips)
  gpu: str | None = None  # a key of GPUS: an NVIDIA target

  @property
  def platform(self) -> str:
    return "cuda" if self.gpu else "tpu"

  def devices(self) -> list:
    """The slice's compile-only devices (every chip of every host)."""
    _require_compiler(self.platform)
    if self.gpu:
      try:
        return list(topologies.get_topology_desc(
            platform="cuda", topology=self.topology,
            target_config=GPUS[self.gpu].target_config()).devices)
      except Exception as error:  # noqa: BLE001 -- the plugin fails to load or describe it
        raise PreflightError(
            f"Cannot describe {self.name} ({error}). Where no GPU driver is installed, the "
            f"CUDA plugin loads only with JAX's platforms set to cpu before JAX starts "
            f"(python -m wgan_jax.preflight sets it).") from None
    # libtpu refuses a second process on one host unless told that none of them owns a TPU;
    # the compile-only client needs no metadata server either. Read when libtpu loads, here.
    os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
    os.environ.setdefault("TPU_SKIP_MDS_QUERY", "1")
    options = {"chip_config_name": self.chip_config}
    if self.chips_per_host is not None:
      options["chips_per_host_bounds"] = self.chips_per_host
    try:
      return list(topologies.get_topology_desc(platform="tpu", topology_name=self.topology,
                                               **options).devices)
    except Exception as error:  # noqa: BLE001 -- a topology libtpu rejects
      raise PreflightError(
          f"Cannot describe the TPU topology {self.topology!r} ({error}).") from None

  @property
  def memory_fraction(self) -> float | None:
    """On a GPU, the share of its memory JAX allocates (`gpu_memory_fraction`); None on a TPU,
    whose whole HBM is the program's."""
    return gpu_memory_fraction() if self.gpu else None

  def capacity(self, device_kind: str) -> int | None:
    """Memory per chip in bytes that a JAX program may use, or None where unknown: a TPU's
    HBM; on a GPU, the share of the card JAX's allocator takes (`memory_fraction`)."""
    if self.gpu:
      return int(GPUS[self.gpu].memory_bytes * self.memory_fraction)
    return HBM_BYTES.get(device_kind)


def gpu_memory_fraction() -> float:
  """The share of a GPU's memory a JAX process allocates: XLA_PYTHON_CLIENT_MEM_FRACTION as
  the user sets it, else JAX's default of 0.75 (the rest is left to CUDA and cuDNN)."""
  value = os.environ.get("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.75")
  try:
    fraction = float(value)
  except ValueError:
    raise ConfigError(f"XLA_PYTHON_CLIENT_MEM_FRACTION={value!r} is not a number; JAX reads "
                      f"it as the share of GPU memory to allocate, such as 0.75.") from None
  if not 0 < fraction <= 1:
    raise ConfigError(f"XLA_PYTHON_CLIENT_MEM_FRACTION={value} is outside (0, 1].")
  return fraction


def target(spec: str) -> Target:
  """A `Target` from a slice name ('v5e-8', 'v4-8', 'v5p-8', 'v5e-256'), a libtpu topology
  ('tpu:v5e:2x2', 'tpu:v4:2x2x2') or NVIDIA GPUs ('h100-8': one host of eight; 'h100-16',
  two; 'h200-1', one H200)."""
  gpu = re.fullmatch(r"(" + "|".join(GPUS) + r")-(\d+)", spec)
  if gpu:
    count = int(gpu.group(2))
    per_host = min(count, GPUS_PER_HOST)
    if count % per_host:
      raise ConfigError(f"{spec}: GPUs come {GPUS_PER_HOST} to a host; ask for up to "
                        f"{GPUS_PER_HOST} or a multiple of {GPUS_PER_HOST}.")
    return Target(spec, f"1x{count // per_host}x{per_host}", gpu=gpu.group(1))
  if spec.startswith("tpu:"):
    topology = spec[len("tpu:"):]
    generation = topology.split(":")[0]
    megacore = generation in ("v4", "v5")
    return Target(spec, topology, "megacore" if megacore else "default")
  match = re.fullmatch(r"(v4|v5p|v5e|v6e)-(\d+)", spec)
  if not match:
    raise ConfigError(f"Unknown target {spec!r}: use a TPU slice name such as v5e-8, v4-8, "
                      f"v5p-8 or v5e-256, a topology such as tpu:v5e:2x2, or GPUs such as "
                      f"{', '.join(f'{name}-8' for name in GPUS)}.")
  prefix, shapes_by_chips, cores, chip_config = _GENERATIONS[match.group(1)]
  chips = int(match.group(2)) // cores
  if chips not in shapes_by_chips:
    raise ConfigError(f"{spec}: no {match.group(1)} slice of {chips} chips is known; choose "
                      f"one of {', '.join(f'{match.group(1)}-{n * cores}' for n in shapes_by_chips)}.")
  shape = shapes_by_chips[chips]
  single_host_eight = match.group(1) in ("v5e", "v6e") and chips == 8
  per_host = (2, 4, 1) if single_host_eight else ((1, 1, 1) if chips == 1 else (2, 2, 1))
  return Target(spec, f"{prefix}:{shape}", chip_config, per_host)


# ----------------------------------------------------------------------------- compiling


def _compile_config(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The config as a TPU run resolves it: XLA's own convolutions for 'auto'."""
  config = ml_collections.ConfigDict(config.to_dict())
  if config.model.get("conv_lowering", "auto") == "auto":
    config.model.conv_lowering = "xla"
  return config


@dataclasses.dataclass
class _Program:
  """What is compiled for one batch: the trainer's step over the mesh, and its inputs."""

  step: Callable
  critic_update: Callable
  args: tuple
  critic_args: tuple


def _programs(experiment: builder.Experiment, abstract_state: Any,
              placement: parallel.MeshPlacement, per_chip_batch: int, n_critic: int) -> _Program:
  """The trainer's program on the slice (`program.compile_step`), with abstract inputs laid out
  as the trainer places them, and the critic update alone for the FLOP count."""
  config = experiment.config

  def on(tree, sharding):
    return jax.tree_util.tree_map(
        lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=sharding), tree)

  state = on(abstract_state, placement.replicated)
  global_batch = per_chip_batch * placement.mesh.size
  if config.data.device_resident:
    dataset = shapes.resident_dataset_shapes(config.data, experiment.example_shape,
                                             experiment.num_classes)
    step = program.compile_step(experiment, placement, n_critic, per_chip_batch,
                                resident=dataset)
    args = (state, on(dataset, placement.replicated))
  else:
    batches = shapes.real_batch_shapes(config.data, experiment.example_shape,
                                       experiment.num_classes, n_critic, global_batch)
    step = program.compile_step(experiment, placement, n_critic, per_chip_batch)
    args = (state, on(batches, placement.split))
  one_batch = on(shapes.real_batch_shapes(config.data, experiment.example_shape,
                                          experiment.num_classes, 1, global_batch),
                 placement.split)
  key = on(jax.eval_shape(lambda: jax.random.PRNGKey(0)), placement.replicated)
  critic_update = placement.compile_critic_update(experiment.train_step.critic_update)
  return _Program(step, critic_update, args, (state, one_batch, key))


def _out_of_memory(error: Exception) -> str | None:
  """XLA's reason when a program does not fit in HBM, else None."""
  text = str(error)
  if "RESOURCE_EXHAUSTED" in text or "Ran out of memory" in text:
    return text.split("RESOURCE_EXHAUSTED:")[-1].strip().splitlines()[0]
  return None


def _compile(fn: Callable, args: tuple):
  return fn.lower(*args).compile()


def _fitting(fn: Callable, args: tuple, capacity: int | None, failing: str):
  """`(compiled, compile seconds)` if the program compiles and fits in `capacity` bytes, else
  the compiler's (or the capacity's) reason, a str; other compile errors raise, after `failing`."""
  start = time.perf_counter()
  try:
    compiled = _compile(fn, args)
  except Exception as error:  # noqa: BLE001 -- XLA's errors carry no finer type
    reason = _out_of_memory(error)
    if reason is None:
      raise PreflightError(f"{failing}: {error}") from None
    return reason
  needed = _memory(compiled)["total"]
  # XLA:TPU refuses a program whose temporaries alone exceed HBM, XLA:GPU none; the arguments
  # and outputs live in HBM too.
  if capacity and needed > capacity:
    return (f"the program needs {_gib(needed)} of HBM, more than the {_gib(capacity)} a JAX "
            f"program has on a chip")
  return compiled, time.perf_counter() - start


_DTYPE_BYTES = {"pred": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "f16": 2, "bf16": 2, "s32": 4,
                "u32": 4, "f32": 4, "s64": 8, "u64": 8, "f64": 8, "c64": 8, "c128": 16}
_ALL_REDUCE = re.compile(r"^\s*(?:ROOT\s+)?%\S+ = (.+?) all-reduce(?:-start)?\(", re.MULTILINE)
_ARRAY = re.compile(r"\b(" + "|".join(_DTYPE_BYTES) + r")\[([\d,]*)\]")


def all_reduce_bytes(hlo_text: str) -> tuple[int, int]:
  """(all-reduce instructions, bytes they reduce) in a compiled HLO module's text, each
  instruction counted once (a loop body's too)."""
  count = total = 0
  for shape in _ALL_REDUCE.findall(hlo_text):
    count += 1
    for dtype, dims in _ARRAY.findall(shape):
      total += _DTYPE_BYTES[dtype] * math.prod(int(d) for d in dims.split(",") if d)
  return count, total


def _memory(compiled) -> dict[str, int]:
  stats = compiled.memory_analysis()
  memory = {"arguments": int(stats.argument_size_in_bytes),
            "outputs": int(stats.output_size_in_bytes),
            "aliased": int(stats.alias_size_in_bytes),
            "temporaries": int(stats.temp_size_in_bytes),
            "code": int(stats.generated_code_size_in_bytes)}
  memory["total"] = (memory["arguments"] + memory["outputs"] - memory["aliased"] +
                     memory["temporaries"] + memory["code"])
  return memory


class _Compiler:
  """Compiles the config's step for one slice at any per-chip batch (results kept)."""

  def __init__(self, config: ml_collections.ConfigDict, devices: list, capacity: int | None):
    self.config = _compile_config(config)
    self.devices = devices
    self.capacity = capacity
    self.placement = parallel.MeshPlacement(Mesh(np.asarray(devices), (AXIS,)), AXIS)
    self.experiment = builder.build(self.config, axis_name=AXIS, open_data=False)
    self.abstract_state = self.experiment.abstract_state()  # traced once, for every batch
    # Every critic-iteration count the run compiles (the WGAN schedule's 100 too).
    self.counts = self.experiment.schedule.counts
    # (batch, n_critic) -> (compiled, seconds), or the compiler's out-of-memory reason
    self.results: dict[tuple[int, int], tuple[Any, float] | str] = {}

  def step(self, per_chip_batch: int, n_critic: int):
    """(compiled step, compile seconds), or the compiler's out-of-memory reason (a str)."""
    key = (per_chip_batch, n_critic)
    if key not in self.results:
      compiled_program = _programs(self.experiment, self.abstract_state, self.placement,
                                   per_chip_batch, n_critic)
      self.results[key] = _fitting(
          compiled_program.step, compiled_program.args, self.capacity,
          f"The step does not compile for {self.devices[0].device_kind} at {per_chip_batch} "
          f"examples per chip")
    return self.results[key]

  def failure(self, per_chip_batch: int) -> str | None:
    """Why the run does not fit at this batch (any of its step programs), or None."""
    for n_critic in sorted(self.counts, reverse=True):  # the longest loop fails first
      result = self.step(per_chip_batch, n_critic)
      if isinstance(result, str):
        return f"{result} (the step with {n_critic} critic iterations)"
    return None

  def fits(self, per_chip_batch: int) -> bool:
    return self.failure(per_chip_batch) is None

  def peak_memory(self, per_chip_batch: int) -> dict[str, int]:
    """HBM of the largest of the run's step programs at this batch (which must fit)."""
    return max((_memory(self.step(per_chip_batch, n)[0]) for n in self.counts),
               key=lambda m: m["total"])

  def compiled_batches(self) -> list[int]:
    return sorted({batch for batch, _ in self.results})

  def critic_update(self, per_chip_batch: int):
    compiled_program = _programs(self.experiment, self.abstract_state, self.placement,
                                 per_chip_batch, self.config.n_critic)
    return _compile(compiled_program.critic_update, compiled_program.critic_args)


def largest_batch(fits: Callable[[int], bool], known_fit: int, guess: int,
                  tolerance: float = 1.25, multiple: int = 1) -> tuple[int, int | None]:
  """(largest per-chip batch that `fits`, smallest tried that does not), found by trying.

  From `guess` (rounded to a power of two, at least `known_fit`), doubles while it fits and
  halves while it does not, then bisects until the bracket is within `tolerance` (a ratio).
  Batches are kept multiples of `multiple`. The second value is None when every batch up to
  2**24 fits.
  """
  low, high = known_fit, None
  candidate = max(known_fit, 2 ** int(math.log2(max(guess, 1))))
  while candidate > low:  # step down from the guess until one fits
    if fits(candidate):
      low = candidate
      break
    high = candidate
    candidate //= 2
  if high is None:  # the guess fits: step up until one does not
    candidate = low * 2
    while candidate <= 2**24:
      if not fits(candidate):
        high = candidate
        break
      low, candidate = candidate, candidate * 2
  while high is not None and high / low > tolerance:
    middle = (low + high) // 2 // multiple * multiple
    if middle <= low:
      break
    if fits(middle):
      low = middle
    else:
      high = middle
  return low, high


def preflight(config: ml_collections.ConfigDict, where: Target,
              per_chip_batch: int | None = None, search: bool = True,
              tolerance: float = 1.25, search_from: int | None = None) -> dict[str, Any]:
  """Compiles `config`'s train step for `where` and reports the compiler's analysis.

  The batch is the config's global batch split over the slice's chips, or `per_chip_batch`
  per chip. With `search`, also the largest per-chip batch that compiles (within `tolerance`),
  starting from `search_from` when given (e.g. the largest batch a smaller slice of the same
  chip took), else from an estimate out of two compiles.
  """
  devices = where.devices()
  chips = len(devices)
  if per_chip_batch is None:
    if config.batch_size % chips:
      raise ConfigError(f"batch_size={config.batch_size} does not split over the {chips} chips "
                        f"of {where.name}; pass a per-chip batch (--per_chip_batch) or a global "
                        f"batch that is a multiple of {chips}.")
    per_chip_batch = config.batch_size // chips
  kind = devices[0].device_kind
  capacity = where.capacity(kind)
  compiler = _Compiler(config, devices, capacity)
  n_critic = compiler.config.n_critic
  failure = compiler.failure(per_chip_batch)
  if failure:
    raise PreflightError(f"{where.name}: the step does not fit in one {kind} chip's HBM "
                         f"({_gib(capacity)}) at {per_chip_batch} examples per chip: {failure}. "
                         f"Use a smaller batch per chip or more chips.")
  compiled, compile_sec = compiler.step(per_chip_batch, n_critic)
  critic = compiler.critic_update(per_chip_batch)
  step_flops, critic_flops = program.cost_flops(compiled), program.cost_flops(critic)
  _, step_bytes = all_reduce_bytes(compiled.as_text())
  critic_ops, critic_bytes = all_reduce_bytes(critic.as_text())
  # The loop body is in the step's count once; the other n_critic - 1 iterations are added.
  # (GPU compilers give no count: None.)
  flops = program.flops_per_generator_iteration(step_flops, critic_flops, n_critic)
  reduced = step_bytes + (n_critic - 1) * critic_bytes
  memory = compiler.peak_memory(per_chip_batch)
  report: dict[str, Any] = {
      "target": where.name, "topology": where.topology, "device_kind": kind, "chips": chips,
      "hosts": len({d.process_index for d in devices}), "platform": where.platform,
      "parallelism": "shard_map",
      "conv_lowering": compiler.config.model.conv_lowering,
      "compute_dtype": compiler.config.model.compute_dtype,
      "matmul_precision": compiler.config.model.matmul_precision,
      "device_resident": bool(compiler.config.data.device_resident),
      "donate_state": bool(compiler.config.donate_state), "n_critic": n_critic,
      "per_chip_batch": per_chip_batch, "global_batch": per_chip_batch * chips,
      "critic_iteration_counts": list(compiler.counts), "compile_sec": round(compile_sec, 2),
      "hbm_bytes": memory, "hbm_capacity_bytes": capacity,
      "gpu_memory_fraction": where.memory_fraction,
      "hbm_fraction": memory["total"] / capacity if capacity else None,
      "flops_per_gen_iter": flops,
      "critic_loop_flops": n_critic * critic_flops if flops else None,
      "critic_loop_flops_fraction": n_critic * critic_flops / flops if flops else None,
      "step_flops_loop_counted_once": step_flops or None,
      "all_reduce_bytes_per_gen_iter": reduced,
      "all_reduce_ops_per_critic_iteration": critic_ops,
      "flops_per_all_reduce_byte": flops / reduced if reduced and flops else None,
      "analysis": "XLA compiler analysis for the target, per chip; not a measured speed",
  }
  if search:
    guess = search_from or _batch_guess(compiler, per_chip_batch, memory, capacity)
    low, high = largest_batch(compiler.fits, per_chip_batch, guess, tolerance)
    report["max_per_chip_batch"] = low
    report["first_per_chip_batch_not_fitting"] = high
    report["not_fitting_reason"] = compiler.failure(high) if high else None
    report["hbm_bytes_at_max_batch"] = compiler.peak_memory(low)["total"]
    report["batches_compiled"] = compiler.compiled_batches()
  return report


def _batch_guess(compiler: _Compiler, batch: int, memory: dict[str, int],
                 capacity: int | None) -> int:
  """Where the search starts: the HBM left over, at the marginal bytes per example between
  `batch` and 8 times it (fixed costs dominate small batches, so the second point matters)."""
  larger = batch * 8
  if capacity is None or not compiler.fits(larger):
    return batch
  grown = compiler.peak_memory(larger)["total"]
  per_example = max(grown - memory["total"], 1) / (larger - batch)
  return max(larger, int(larger + (capacity - grown) / per_example))


def _gib(size: int | None) -> str:
  return f"{size / GIB:.1f} GiB" if size else "unknown capacity"


# ----------------------------------------------------------------------------- the table

def _size(n: float | None) -> str:
  if n is None:
    return "-"
  for unit, scale in (("GiB", GIB), ("MiB", 2**20), ("KiB", 2**10)):
    if n >= scale:
      return f"{n / scale:.3g} {unit}"
  return f"{int(n)} B"


def markdown_table(reports: list[dict[str, Any]]) -> str:
  """The pre-flight reports (JSON lines of `python -m wgan_jax.preflight`) as one Markdown table."""
  columns = ("config", "target", "chips / hosts", "batch per chip (global)", "HBM per chip",
             "largest batch per chip (first that does not fit)", "all-reduce per gen. iter.",
             "FLOPs per gen. iter. per chip", "FLOPs per all-reduce byte",
             "critic loop share of FLOPs", "compile")
  lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
  for r in reports:
    largest = "-"
    if r.get("max_per_chip_batch"):
      high = r.get("first_per_chip_batch_not_fitting")
      largest = f"{r['max_per_chip_batch']:,} ({high:,})" if high else f">= {r['max_per_chip_batch']:,}"
    memory = _size(r["hbm_bytes"]["total"])
    if r.get("hbm_fraction"):
      memory += f" ({100 * r['hbm_fraction']:.2g}%)"
    flops, per_byte = r.get("flops_per_gen_iter"), r.get("flops_per_all_reduce_byte")
    share = r.get("critic_loop_flops_fraction")
    cells = (r["config"], r["target"], f"{r['chips']} / {r['hosts']}",
             f"{r['per_chip_batch']:,} ({r['global_batch']:,})", memory, largest,
             _size(r["all_reduce_bytes_per_gen_iter"]),
             f"{flops / 1e9:.3g} G" if flops else "-", f"{per_byte:.3g}" if per_byte else "-",
             f"{100 * share:.0f}%" if share else "-", f"{r['compile_sec']:.0f} s")
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


def members_per_chip(config: ml_collections.ConfigDict, where: Target,
                     tolerance: float = 1.25, limit: int = 4096) -> dict[str, Any]:
  """How many members of `config` as a population (`wgan_jax.population`) fit on one chip of
  `where`, each at the config's whole batch: found by compiling the population's step for
  growing member counts, as the batch search does. A population holds its data on the devices
  (data.device_resident), so that is compiled too. Counts above `limit` are not tried."""
  from wgan_jax import population as populations

  device = where.devices()[0]
  capacity = where.capacity(device.device_kind)
  config = _compile_config(config)
  config.data.device_resident = True
  config.population.update(dict(size=0, sweep="", grid=False))
  sharding = jax.sharding.SingleDeviceSharding(device)
  results: dict[int, dict[str, int] | str] = {}

  def on(tree):
    return jax.tree_util.tree_map(
        lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=sharding), tree)

  def memory(count: int) -> dict[str, int] | str:
    """The compiled population step's memory for `count` members, or why it does not fit."""
    if count not in results:
      pop = populations.build_population(config, {"seed": list(range(count))}, open_data=False)
      e = pop.experiment
      dataset = shapes.resident_dataset_shapes(config.data, e.example_shape, e.num_classes)
      preprocess = (resident_data.pixel_preprocess(config.data.dequantize)
                    if resident_data.holds_pixels(dataset, config.data) else None)
      step = jax.jit(pop.resident_step(config.n_critic, config.batch_size, preprocess))
      result = _fitting(step, (on(jax.eval_shape(pop.init)), on(dataset)), capacity,
                        f"The population step does not compile for {device.device_kind} with "
                        f"{count} members")
      results[count] = result if isinstance(result, str) else _memory(result[0])
    return results[count]

  if isinstance(memory(1), str):
    raise PreflightError(f"{where.name}: one member of the config does not fit on one "
                         f"{device.device_kind} chip: {memory(1)}.")
  one = memory(1)["total"]
  guess = max(1, int(capacity // max(one, 1))) if capacity else 64
  low, high = largest_batch(lambda n: n <= limit and not isinstance(memory(n), str), 1,
                            min(guess, limit), tolerance)
  untried = high is not None and high > limit
  return {"target": where.name, "device_kind": device.device_kind,
          "batch_per_member": config.batch_size, "n_critic": config.n_critic,
          "hbm_capacity_bytes": capacity,
          "gpu_memory_fraction": where.memory_fraction,
          "hbm_bytes_one_member": one,
          "max_members_per_chip": low, "first_members_not_fitting": None if untried else high,
          "not_fitting_reason": (f"more than {limit} members were not tried" if untried else
                                 memory(high) if high else None),
          "hbm_bytes_at_max_members": memory(low)["total"],
          "members_compiled": sorted(results),
          "analysis": "XLA compiler analysis for one chip of the target; not a measured speed"}
