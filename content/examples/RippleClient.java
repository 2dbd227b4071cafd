package com.example.shop.ripple;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Registers orders that never reach the confirmation page (phone, back office). */
public final class RippleClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String apiBase;
    private final String siteId;
    private final String apiKey;

    public RippleClient(String apiBase, String siteId, String apiKey) {
        this.apiBase = apiBase;
        this.siteId = siteId;
        this.apiKey = apiKey;
    }

    // BEGIN register purchase
    public void registerPurchase(Order order) throws IOException, InterruptedException {
        // A LinkedHashMap, because Map.of() refuses the null that "no coupon" needs.
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("order_number", order.number());
        payload.put("subtotal", order.subtotalAfterDiscounts().toPlainString());
        payload.put("email", order.email());
        payload.put("coupon_code", order.couponCodes().isEmpty() ? null : order.couponCodes());
        payload.put("created_at", order.paidAt().toString());

        HttpRequest request = HttpRequest.newBuilder()
                .uri(URI.create(apiBase + "/sites/" + siteId + "/purchases"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "purchase-" + order.number())
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(payload)))
                .build();

        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400 && response.statusCode() != 409) {
            throw new RippleException(response.statusCode(), response.body());
        }
    }
    // END register purchase
}
