#!/usr/bin/env bash
# The CPU measurements of docs/PERFORMANCE.md, in the order they were taken.
# Usage: bash benchmarks/cpu_suite.sh OUT.jsonl   (about 45 minutes on 2 cores)
set -euo pipefail
out=${1:-benchmarks-cpu.jsonl}
b="python3 scripts/benchmark.py --out=$out"
$b --config=configs/wgan_gp_cifar.py --config.model.generator.width=64 \
   --config.model.critic.width=64 --steps=3 --repeats=5 --compare=torch --dispatch=both \
   --label="gan_cifar DIM=64"
$b --config=configs/wgan_gp_cifar.py --steps=2 --repeats=5 --compare=torch --dispatch=both \
   --label="gan_cifar DIM=128"
$b --config=configs/default.py --steps=20 --repeats=5 --compare=torch --dispatch=both --label="toy MLP"
$b --config=configs/wgan_lsun_bedrooms.py --steps=2 --repeats=5 --compare=torch --dispatch=both \
   --label="WGAN DCGAN 64x64 clipping"
# After the stride-1 convolutions moved to the 'patches' lowering on CPU:
$b --config=configs/wgan_gp_cifar_resnet.py --steps=1 --repeats=3 --compare=torch --dispatch=both \
   --label="CIFAR-10 ResNet DIM=128"
$b --config=configs/wgan_lsun_bedrooms.py --steps=2 --repeats=5 --compare=torch --dispatch=both \
   --label="WGAN DCGAN 64x64 clipping, stride-1 layers on patches"
$b --config=configs/wgan_gp_cifar.py --config.model.generator.width=64 \
   --config.model.critic.width=64 --config.model.conv_lowering=xla --steps=1 --repeats=2 \
   --label="gan_cifar DIM=64, XLA's own conv lowering"
$b --config=configs/default.py --config.model.compute_dtype=bfloat16 --steps=10 --repeats=3 \
   --label="toy MLP, bfloat16 compute (CPU emulates bf16)"
$b --config=configs/default.py --scaling=1,2,4,8 --steps=10 --repeats=3 --label="toy MLP scaling"
$b --config=configs/wgan_gp_cifar.py --config.model.generator.width=64 \
   --config.model.critic.width=64 --config.batch_size=16 --scaling=1,2,4,8 --steps=2 --repeats=3 \
   --label="gan_cifar DIM=64 scaling, 16 per device"
