"""``qmt emulator``: run the local Qwen-MT emulator in the foreground.

For offline demos and benchmarks: point qmt (or any OpenAI-SDK client) at the printed
base URL. The start line says plainly that this is an emulator and not translation.
"""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from pipeline.emulator.faults import ACCOUNT_STATES, parse_rate
from pipeline.emulator.modes import CHATTER_KINDS, MODES, OUTPUT_TOKEN_MODES
from pipeline.emulator.realistic import REALISTIC, with_profile

# The server (aiohttp) loads when the emulator is started, not when qmt builds its flags.
if TYPE_CHECKING:
    from pipeline.emulator.server import Emulator, EmulatorConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8700, help="port to bind; 0 picks a free one (default 8700)")
    parser.add_argument("--mode", choices=MODES, default="pseudo",
                        help="pseudo: visible fake translation (default); identity: echo the input")
    parser.add_argument("--api-key", default=None,
                        help="accept only this key (default: any non-empty key)")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute per model (default: unlimited)")
    parser.add_argument("--tpm", type=int, default=None, help="tokens per minute per model (default: unlimited)")
    parser.add_argument("--rps", type=int, default=None,
                        help="requests per second per model before 'rate increased too quickly' (default: off)")
    parser.add_argument("--latency-ms", type=float, default=None, help="mean time before the first byte (default 0)")
    parser.add_argument("--latency-sigma", type=float, default=None,
                        help="lognormal sigma of the latency (0: fixed latency, the default)")
    parser.add_argument("--latency-per-token-ms", type=float, default=None,
                        help="generation time added per output token (default 0)")
    parser.add_argument("--realistic", action="store_true",
                        help="the service as it is: latency (lognormal, mean 800 ms, sigma 0.5, plus 8 ms per "
                             "output token), 500 and 503 at 0.5%% each, 429 throttles at 1.5%%, and pack markers "
                             "damaged at the rate a real model showed; explicit options win")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="scale the minute of the limits and all latencies (0.1: a minute lasts 6 s)")
    parser.add_argument("--error-rate", action="append", default=[], metavar="KIND=RATE",
                        help="random fault rate, repeatable: 429, burst, tpm, tpm_compat, throttling, rate_limit, "
                             "429_unknown, 408, 500, 502, 503, 504, timeout, drop, drop_mid, cut, malformed, "
                             "blocked, 400, 401, 403, 404, arrearage, free_quota, prepaid_overdue, "
                             "postpaid_overdue, not_purchased; marker=RATE damages the pack markers "
                             "of that share of packed answers (drop one, merge two neighbours, or alter one; "
                             "billed as usual)")
    parser.add_argument("--account-state", choices=list(ACCOUNT_STATES), default="ok",
                        help="make every request fail as an account in this state")
    parser.add_argument("--seed", type=int, default=None, help="seed for random faults and latency")
    parser.add_argument("--output-tokens", choices=OUTPUT_TOKEN_MODES, default="actual",
                        help="bill completion tokens of the text sent back (actual, default) or of the "
                             "pseudo-translation with letters swapped back, close to a real translation (source)")
    parser.add_argument("--billing-log", default=None, metavar="FILE",
                        help="append one JSON line per billed request to FILE")
    parser.add_argument("--speech-ratio", type=float, default=1.0, metavar="R",
                        help="LiveTranslate: dubbed speech is R times as long as the audio it answers (default 1.0)")
    parser.add_argument("--chat", action="store_true",
                        help="generic chat mode: also serve /v1/chat/completions like any OpenAI-compatible model "
                             "server (for engine = \"llm\"; no key needed unless --api-key)")
    parser.add_argument("--chat-no-usage", action="store_true",
                        help="generic chat mode: answer without usage, as some model servers do")
    parser.add_argument("--chat-chatter", choices=CHATTER_KINDS, default="",
                        help="generic chat mode: wrap every answer as a chatty model does: preamble "
                             "('Sure! Here is the ... translation:'), pleasantry, fence, quotes, or all")


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Raises ValueError on bad values (an unknown fault kind, a rate outside [0, 1])."""
    from pipeline.emulator.server import EmulatorConfig

    given = dict(parse_rate(item) for item in args.error_rate)
    (latency_ms, latency_sigma, per_token_ms), rates = with_profile(
        REALISTIC if args.realistic else None, (args.latency_ms, args.latency_sigma, args.latency_per_token_ms), given)
    return EmulatorConfig(mode=args.mode, api_key=args.api_key, rpm=args.rpm, tpm=args.tpm, rps=args.rps,
                          output_tokens=args.output_tokens,
                          latency_ms=latency_ms, latency_sigma=latency_sigma,
                          latency_per_token_ms=per_token_ms, time_scale=args.time_scale,
                          error_rates=rates, account_state=args.account_state, seed=args.seed,
                          billing_log=args.billing_log, speech_ratio=args.speech_ratio,
                          chat=args.chat or args.chat_no_usage or bool(args.chat_chatter),
                          chat_usage=not args.chat_no_usage, chat_chatter=args.chat_chatter)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM. Returns the exit code (2 for bad options or a
    port that cannot be bound)."""
    from pipeline.emulator.server import Emulator

    try:
        emulator = Emulator(config_from_args(args))
    except ValueError as exc:
        print(f"qmt emulator: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(emulator, args.host, args.port))
    except OSError as exc:
        print(f"qmt emulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(emulator: Emulator, host: str, port: int) -> None:
    from pipeline.emulator.chat import CHAT_PREFIX
    from pipeline.emulator.native import NATIVE_PREFIX
    from pipeline.emulator.server import API_PREFIX, start_site

    runner, bound = await start_site(emulator, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    print(f"qmt emulator: LOCAL EMULATOR, NOT REAL TRANSLATION (mode {emulator.mode_name}); "
          f"base URL http://{host}:{bound}{API_PREFIX} (native API root http://{host}:{bound}{NATIVE_PREFIX})",
          flush=True)
    if emulator.config.chat:
        print(f"qmt emulator: generic chat mode (engine = \"llm\"): base URL http://{host}:{bound}{CHAT_PREFIX}",
              flush=True)
    try:
        await stop.wait()
    finally:
        emulator.stopping.set()
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m pipeline.emulator.cli``) until qmt wires it in."""
    parser = argparse.ArgumentParser(prog="qmt emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
