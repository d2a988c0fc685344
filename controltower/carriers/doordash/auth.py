"""DoorDash's JWT, built by hand (HS256 with the dd-ver header) so no JWT library is needed for one signature."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

LIFETIME_S = 300  # DoorDash allows up to 30 minutes; a short one limits what a leaked header can do


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_key(signing_secret: str) -> bytes:
    """DoorDash signs with the base64url-decoded secret, not the text itself."""
    return base64.urlsafe_b64decode(signing_secret + "=" * (-len(signing_secret) % 4))


def make_jwt(developer_id: str, key_id: str, signing_secret: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT", "dd-ver": "DD-JWT-V1"}
    claims = {"aud": "doordash", "iss": developer_id, "kid": key_id, "iat": issued, "exp": issued + LIFETIME_S}
    signed = f"{_b64url(json.dumps(header, separators=(',', ':')).encode())}." \
             f"{_b64url(json.dumps(claims, separators=(',', ':')).encode())}"
    signature = hmac.new(signing_key(signing_secret), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64url(signature)}"
