"""Provider actions: a call a flow (or an API caller) makes to a connected provider, as its manifest describes it
(method, path, the JSON Schema of its inputs), executed once per idempotency key through the connections service's
proxy. FL-CORE's provider-action step runs them with `runtime.component(ProviderActions).execute(...)`."""
