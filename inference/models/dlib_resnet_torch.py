"""dlib's face-embedding ResNet, read from its own ``.dat`` file and run by torch.

The network and its weights are exactly dlib's (``dlib_face_recognition_resnet_model_v1.dat``
from the ``face-recognition-models`` package); only the arithmetic moves to torch, whose CPU
convolutions are many times faster than those of a dlib wheel built without BLAS. The
embeddings agree with dlib's to ~1e-5 (tests compare them on real faces).

The file is dlib's serialisation of ``anet_type`` (dlib's dnn_face_recognition_ex.cpp),
stored from the input up: ``input_rgb_image_sized`` (channel means), a 7x7/2 convolution,
``max_pool``, residual blocks (``con, affine, relu, con, affine, [avg_pool,] add_prev, relu``;
the ``avg_pool`` marks a down-sampling block whose shortcut is pooled), a global
``avg_pool`` and a 128-output ``fc`` without bias. ``affine`` layers are batch norms frozen
into a per-channel scale and shift; they are folded into the convolution before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

_LAYER = re.compile(rb"input_rgb_image_sized|con_4|affine_|relu_|max_pool_2|avg_pool_2|add_prev_|fc_2")


class DlibFormatError(ValueError):
    """The file is not the dlib network this module knows."""


class _Reader:
    """dlib's serialisation: compact integers, float_details and raw little-endian tensors."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def int(self) -> int:
        head = self.data[self.pos]
        size, negative = head & 0x0F, head & 0x80
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if negative else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise DlibFormatError("unknown tensor version")
        dims = [self.int() for _ in range(4)]
        count = int(np.prod(dims))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos += 4 * count
        return values.astype(np.float32)


@dataclass
class _Conv:
    weight: np.ndarray  # out x in x kh x kw
    bias: np.ndarray
    stride: int
    padding: int


def _parse(data: bytes) -> tuple[np.ndarray, list[tuple[str, object]]]:
    """Channel means and the layers, input first: ("conv", _Conv), ("pool", (kind, k, stride)), ..."""
    layers: list[tuple[str, object]] = []
    means = None
    previous_conv: _Conv | None = None
    for match in _LAYER.finditer(data):
        name = match.group().decode()
        reader = _Reader(data, match.end())
        if name == "input_rgb_image_sized":
            means = np.array([reader.float() for _ in range(3)], dtype=np.float32)
        elif name == "con_4":
            params = reader.tensor()
            filters, kh, kw, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(7))
            if (kh, stride_y, pad_y) != (kw, stride_x, pad_x):
                raise DlibFormatError("non-square convolution")
            inputs = (params.size - filters) // (filters * kh * kw)
            weight = params[: filters * inputs * kh * kw].reshape(filters, inputs, kh, kw)
            previous_conv = _Conv(weight, params[filters * inputs * kh * kw :], stride_y, pad_y)
            layers.append(("conv", previous_conv))
        elif name == "affine_":
            params = reader.tensor()
            if previous_conv is None:
                raise DlibFormatError("affine layer without a convolution before it")
            gamma, beta = np.split(params, 2)
            previous_conv.weight = previous_conv.weight * gamma[:, None, None, None]
            previous_conv.bias = previous_conv.bias * gamma + beta
            previous_conv = None
        elif name == "relu_":
            layers.append(("relu", None))
        elif name in ("max_pool_2", "avg_pool_2"):
            kh, kw, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(6))
            layers.append(("pool", ("max" if name.startswith("max") else "avg", kh, stride_y, pad_y)))
        elif name == "add_prev_":
            layers.append(("add", None))
        elif name == "fc_2":
            outputs, inputs = reader.int(), reader.int()
            layers.append(("fc", reader.tensor()[: inputs * outputs].reshape(inputs, outputs)))
    if means is None or not layers or layers[-1][0] != "fc":
        raise DlibFormatError("not dlib's face recognition network")
    return means, layers


def _conv_module(c: _Conv) -> nn.Conv2d:
    conv = nn.Conv2d(c.weight.shape[1], c.weight.shape[0], c.weight.shape[2], stride=c.stride, padding=c.padding)
    conv.weight.data = torch.from_numpy(np.ascontiguousarray(c.weight))
    conv.bias.data = torch.from_numpy(np.ascontiguousarray(c.bias))
    return conv


def _add_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's add_prev: tensors of different sizes add as if zero-padded to the larger (end-aligned)."""
    if a.shape == b.shape:
        return a + b
    shape = [max(x, y) for x, y in zip(a.shape, b.shape)]

    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, shape[3] - t.shape[3], 0, shape[2] - t.shape[2], 0, shape[1] - t.shape[1]))

    return pad(a) + pad(b)


class _Block(nn.Module):
    """relu(block(x) + shortcut(x)); the shortcut is a 2x2 average pool in down-sampling blocks."""

    def __init__(self, conv1: _Conv, conv2: _Conv, pool: tuple | None) -> None:
        super().__init__()
        self.conv1, self.conv2 = _conv_module(conv1), _conv_module(conv2)
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.relu(self.conv1(x)))
        shortcut = F.avg_pool2d(x, self.pool[1], self.pool[2], self.pool[3]) if self.pool else x
        return F.relu(_add_padded(shortcut, out))


class DlibFaceNet(nn.Module):
    """150x150 aligned RGB face chips (uint8, N x 150 x 150 x 3) in, 128-d embeddings out."""

    def __init__(self, means: np.ndarray, layers: list[tuple[str, object]]) -> None:
        super().__init__()
        self.register_buffer("means", torch.from_numpy(means).view(1, 3, 1, 1))
        kinds = [k for k, _ in layers]
        # stem: conv, relu, max pool
        if kinds[:3] != ["conv", "relu", "pool"]:
            raise DlibFormatError("unexpected stem")
        self.stem = _conv_module(layers[0][1])
        self.stem_pool = layers[2][1]
        blocks, i = [], 3
        while kinds[i] == "conv":
            conv1, conv2 = layers[i][1], layers[i + 2][1]
            pool = None
            j = i + 3
            if kinds[j] == "pool":
                pool, j = layers[j][1], j + 1
            if kinds[j : j + 2] != ["add", "relu"]:
                raise DlibFormatError(f"unexpected layers in residual block at {i}")
            blocks.append(_Block(conv1, conv2, pool))
            i = j + 2
        self.blocks = nn.Sequential(*blocks)
        if kinds[i:] != ["pool", "fc"]:
            raise DlibFormatError("unexpected head")
        self.register_buffer("fc", torch.from_numpy(np.ascontiguousarray(layers[i + 1][1])))

    @classmethod
    def from_dat(cls, path: Path) -> "DlibFaceNet":
        net = cls(*_parse(path.read_bytes()))
        net.eval()
        return net

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips.permute(0, 3, 1, 2).float() - self.means) / 256.0
        x = F.relu(self.stem(x))
        _, k, stride, pad = self.stem_pool
        x = F.max_pool2d(x, k, stride, pad)
        x = self.blocks(x)
        return x.mean(dim=(2, 3)) @ self.fc
