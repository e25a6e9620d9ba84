"""The peer of the `limits` bench: the loop a user would write over the official Python SDK.

Reads one URL per line from the file named by the first argument, purges them in chunks of
30 (the Free plan's per-request cap) one request after the other, and relies on the SDK's own
retries (2, honouring Retry-After up to 60 s). A chunk whose request still fails is printed on
stdout and the loop goes on with the next one. The summary goes to stderr.

Environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_ZONE_ID, CLOUDFLARE_BASE_URL (read by the SDK).
"""

import os
import sys
import time

import cloudflare

CHUNK = 30


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as listing:
        urls = [line.strip() for line in listing if line.strip()]
    client = cloudflare.Cloudflare(api_token=os.environ["CLOUDFLARE_API_TOKEN"])
    zone_id = os.environ["CLOUDFLARE_ZONE_ID"]
    started = time.monotonic()
    requests = failed = 0
    for first in range(0, len(urls), CHUNK):
        chunk = urls[first : first + CHUNK]
        requests += 1
        try:
            client.cache.purge(zone_id=zone_id, files=chunk)
        except cloudflare.APIError as error:
            failed += len(chunk)
            print("\n".join(chunk))
            print(f"chunk at {first} failed: {type(error).__name__}", file=sys.stderr)
    print(
        f"python: {len(urls) - failed} of {len(urls)} URLs purged in {time.monotonic() - started:.1f} s, "
        f"{requests} calls, {failed} URLs failed",
        file=sys.stderr,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
