"""Provider webhook deliveries (accepted by the connections service) forwarded to their subscription's url."""
