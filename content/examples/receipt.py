"""Order confirmation view (Flask) that registers the order with Ripple Referrals."""

from decimal import Decimal

from flask import Flask, abort, current_app, render_template, session

from shop.models import Order

app = Flask(__name__)


def money(amount: Decimal) -> str:
    """Ripple expects decimals as strings with a dot and two places: "1234.50"."""
    return f"{amount.quantize(Decimal('0.01'))}"


# BEGIN ripple payload
def ripple_purchase_payload(order: Order) -> dict:
    payload = {
        "order_number": str(order.number),
        "subtotal": money(order.subtotal_after_discounts),
        "email": order.email,
        "coupon_code": order.coupon_codes or None,
        "items": [
            {"product_id": line.sku, "price": money(line.unit_price), "quantity": line.quantity}
            for line in order.lines
        ],
    }
    if order.customer is not None:
        payload["customer"] = {
            "customer_id": str(order.customer.id),
            "first_name": order.customer.first_name,
        }
    return payload
# END ripple payload


@app.route("/orders/<number>/confirmation")
def confirmation(number: str):
    order = Order.find_paid(number, session_id=session.get("id"))
    if order is None:
        abort(404)

    return render_template(
        "confirmation.html",
        order=order,
        ripple_site_id=current_app.config["RIPPLE_SITE_ID"],
        ripple_payload=ripple_purchase_payload(order),
    )
