<?php
// Order confirmation page: registers the order with Ripple Referrals.
function ripple_purchase_payload(Order $order): array
{
    return [
        'order_number' => (string) $order->number,
        'subtotal'     => number_format($order->subtotalAfterDiscounts(), 2, '.', ''),
        'email'        => $order->customerEmail(),
        'coupon_code'  => $order->couponCodes() ?: null,
        'items'        => array_map(fn (OrderLine $line) => [
            'product_id' => (string) $line->sku,
            'price'      => number_format($line->unitPrice(), 2, '.', ''),
            'quantity'   => $line->quantity,
        ], $order->lines()),
    ];
}

$order = Order::findPaidForSession($_GET['order'] ?? '', session_id());
if ($order === null) {
    http_response_code(404);
    exit;
}

// JSON_HEX_* keep "<", "&" and quotes out of the inline script, so a product name or
// coupon such as "</script>" cannot end the element early.
$json_flags = JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_THROW_ON_ERROR;
?>
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Thank you for your order</title>
</head>
<body>
  <h1>Thank you, your order <?= htmlspecialchars($order->number) ?> is confirmed</h1>

  <!-- BEGIN ripple post_purchase -->
  <script>
    window._ripple = window._ripple || [];
    _ripple.push(["init", { site_id: <?= json_encode(getenv('RIPPLE_SITE_ID'), $json_flags) ?> }]);
    _ripple.push(["register_purchase", <?= json_encode(ripple_purchase_payload($order), $json_flags) ?>]);
  </script>
  <script async src="https://cdn.ripple.example/integration/v4.min.js"></script>
  <!-- END ripple post_purchase -->
</body>
</html>
