"""python -m booking.bench balance [--seed N] [--days D]
python -m booking.bench queue [--seed N]"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booking.bench")
    commands = parser.add_subparsers(dest="command", required=True)
    balance = commands.add_parser(
        "balance", help="simulate a month of bookings through the fair allocation"
    )
    balance.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    balance.add_argument("--days", type=int, default=30, help="calendar days (default 30)")
    walk_ins = commands.add_parser(
        "queue", help="simulate a day of walk-ins and measure the wait estimate"
    )
    walk_ins.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.command == "queue":
        from booking.bench import queue  # only the command asked for

        print(queue.render(queue.simulate(args.seed)))
        return 0
    if args.days < 1:
        parser.error("--days must be at least 1")
    from booking.bench.balance import render, simulate

    print(render(simulate(args.seed, args.days)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
