"""Receives Ripple Referrals webhooks and checks their signature before trusting them."""

import hashlib
import hmac
import os
import time

from flask import Flask, abort, request

from shop.rewards import already_processed, credit_store_balance, mark_processed

app = Flask(__name__)

WEBHOOK_SECRET = os.environ["RIPPLE_WEBHOOK_SECRET"].encode()
TOLERANCE_SECONDS = 300


# BEGIN signature check
def verify_signature(header: str, body: bytes) -> bool:
    """Checks a header of the form "t=1718000000,v1=5d41402abc4b2a76..."."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, received = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False

    signed = timestamp.encode() + b"." + body
    expected = hmac.new(WEBHOOK_SECRET, signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received)
# END signature check


@app.post("/webhooks/ripple")
def ripple_webhook():
    # Verify the raw bytes: re-serialising parsed JSON would change the signed text.
    body = request.get_data()
    if not verify_signature(request.headers.get("Ripple-Signature", ""), body):
        abort(400)

    event = request.get_json()
    # Deliveries are retried until they get a 2xx, so the same event can arrive twice.
    if already_processed(event["id"]):
        return "", 204

    if event["type"] == "reward.approved":
        reward = event["data"]["reward"]
        credit_store_balance(reward["advocate_email"], reward["amount"], reward["currency"])

    mark_processed(event["id"])
    return "", 204
