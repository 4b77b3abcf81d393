"""``python -m monitor.newsite [--port N] [--outlets demo|generated]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from monitor.newsite.content_demo import demo_outlets
from monitor.newsite.content_generated import generate_outlets
from monitor.newsite.server import NewsSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.newsite", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--outlets", choices=("demo", "generated"), default="demo")
    parser.add_argument("--n-outlets", type=int, default=20, help="generated: number of outlets")
    parser.add_argument("--items", type=int, default=50, help="generated: articles per outlet")
    parser.add_argument("--seed", type=int, default=1, help="generated: random seed")
    args = parser.parse_args(argv)
    outlets = (
        demo_outlets()
        if args.outlets == "demo"
        else generate_outlets(args.n_outlets, args.items, args.seed)
    )
    site = NewsSite(outlets, host=args.host, port=args.port)
    with site:
        print(f"Local test news site: {site.base_url}/", flush=True)
        for outlet in site.outlets:
            print(f"  {outlet.name} [{outlet.language}, {outlet.charset}]")
            for kind in outlet.kinds:
                print(f"    {kind:<13} {site.feed_url(outlet.slug, kind)}")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopping.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
