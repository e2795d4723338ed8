"""`partnergraph token`: mint a development token for a partner and roles.

Only when the gateway accepts HS256 development tokens (`PARTNERGRAPH_JWT_SECRET`, or the
secret generated in the data dir when no key is configured). With public keys or a JWKS
URL configured and no HS256 secret, tokens come from the identity provider: refused.
The token goes to stdout (for `$(partnergraph token ...)`), what it stands for to stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta

from policies.auth.claims import PARTNER_KINDS, ClaimError, principal_from_claims
from policies.auth.errors import AuthConfigError
from policies.auth.jwt import mint_token
from policies.auth.settings import AuthSettings
from policies.principal import AuthMethod

MAX_TTL = timedelta(days=30)
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    """`90`, `90s`, `15m`, `8h`, `7d` -> a duration (argparse type)."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 900, 15m, 8h or 7d")
    value = timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    if not timedelta(0) < value <= MAX_TTL:
        raise argparse.ArgumentTypeError(f"the duration must be between 1s and {MAX_TTL.days}d")
    return value


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner", help="partner id, e.g. P-R01")
    parser.add_argument("--partner-kind", choices=PARTNER_KINDS, help="the partner's kind")
    parser.add_argument("--tier", help="partner tier, e.g. GOLD")
    parser.add_argument(
        "--role", dest="roles", action="append", default=[], help="a role (repeatable)"
    )
    parser.add_argument(
        "--region", dest="regions", action="append", default=[], help="a region (repeatable)"
    )
    parser.add_argument("--subject", help="the token's subject (default: dev:<partner|role>)")
    parser.add_argument(
        "--ttl", type=duration, default=timedelta(hours=8), help="lifetime (default 8h)"
    )


def token_main(args: argparse.Namespace) -> int:
    """Print a development token; 0 on success, 1 when refused, 2 for bad arguments."""
    if not args.partner and not args.roles:
        print("partnergraph token: give --partner and/or --role", file=sys.stderr)
        return 2
    try:
        settings = AuthSettings.from_env()
    except AuthConfigError as exc:
        print(f"partnergraph token: {exc}", file=sys.stderr)
        return 2
    secret = settings.jwt_secret  # set exactly when development tokens are accepted
    if secret is None:
        print(
            "partnergraph token: refused: this gateway verifies tokens from an identity "
            "provider (public keys / JWKS) and has no development secret. Get a token from "
            "the identity provider, or set PARTNERGRAPH_JWT_SECRET in development.",
            file=sys.stderr,
        )
        return 1
    subject = args.subject or f"dev:{args.partner or args.roles[0]}"
    claims = {
        "sub": subject,
        "partner_id": args.partner,
        "partner_kind": args.partner_kind,
        "tier": args.tier,
        "regions": args.regions,
        "roles": args.roles,
    }
    try:
        principal = principal_from_claims(claims, AuthMethod.JWT)
    except ClaimError as exc:
        print(f"partnergraph token: {exc}", file=sys.stderr)
        return 2
    ttl: timedelta = args.ttl
    token = mint_token(
        principal,
        secret,
        ttl=ttl.total_seconds(),
        issuer=settings.issuer,
        audience=settings.audience,
    )
    expires = datetime.now(UTC) + ttl
    print(token)
    print(f"token for {principal}, expires {expires:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    return 0
