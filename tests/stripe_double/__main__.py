"""Run the double: ``python -m tests.stripe_double --port 12111``.

Options: ``--webhook URL SECRET`` and ``--connect-webhook URL SECRET`` deliver events.
"""

from __future__ import annotations

import argparse

from .server import DoubleServer


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local stateful Stripe double.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook", nargs=2, metavar=("URL", "SECRET"))
    parser.add_argument("--connect-webhook", nargs=2, metavar=("URL", "SECRET"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    webhooks = {}
    if args.webhook:
        webhooks["platform"] = tuple(args.webhook)
    if args.connect_webhook:
        webhooks["connect"] = tuple(args.connect_webhook)
    server = DoubleServer((args.host, args.port), webhooks=webhooks, verbose=args.verbose)
    print(f"Stripe double on {server.url} (STRIPE_API_BASE={server.url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
