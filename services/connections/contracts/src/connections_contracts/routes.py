"""Catalogued operations the connections service serves: the gateway forwards them with the catalogue's scope
checks, validating the query models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject).
"""

from __future__ import annotations

from connections_contracts import connection as conn
from connections_contracts import custom_providers as cp
from connections_contracts import provider_webhooks as pwh
from connections_contracts import proxy
from connections_contracts import tenant_integrations as ti
from connections_contracts.catalogue import IntegrationSearchQuery, ProviderListQuery
from connections_contracts.declarations import CONNECT_BASE, SERVICE
from junction_common.contracts.operations import Route, Served

SERVED = [
    Served("listProviders", SERVICE, query=ProviderListQuery),
    Served("getProvider", SERVICE),
    Served("listConnectorTypes", SERVICE),
    Served("listAvailableIntegrations", SERVICE),
    Served("searchIntegrations", SERVICE, query=IntegrationSearchQuery),
]
# Connections and credentials (one resource): synchronous operations of the service's internal API, so the
# credentials in their bodies go to the service that seals them and never onto Kafka.
SERVED += [
    Served("getProviderConnectionStatus", SERVICE),
    Served("connectProvider", SERVICE, body=conn.ConnectBody),
    Served("disconnectProvider", SERVICE),
    Served("listPipelineConnections", SERVICE, query=conn.PipelinesListQuery),
    Served("createPipelineConnection", SERVICE, body=conn.PipelinesConnectionCreate),
    Served("getPipelineConnection", SERVICE),
    Served("updatePipelineConnection", SERVICE, body=conn.PipelinesConnectionUpdate),
    Served("deletePipelineConnection", SERVICE),
    Served("testPipelineConnection", SERVICE, body=conn.PipelinesConnectionTest),
    Served("checkPipelineConnection", SERVICE),
    Served("listCredentials", SERVICE, query=conn.CredentialListQuery),
    Served("createCredential", SERVICE, body=conn.CredentialCreate),
    Served("deleteCredential", SERVICE),
    Served("createPipelineConnectionVariant", SERVICE, body=conn.VariantCreate),
    Served("revealPipelineWebhookUrl", SERVICE),
]
# OAuth 2.0 authorization code flow with PKCE: authorize and exchange act for the caller; the callback carries no
# caller identity (the gateway forwards it as `oauth_state`): its signed single-use state is the credential.
SERVED += [
    Served("authorizePipelineOAuth", SERVICE, body=conn.OAuthAuthorizeBody),
    Served("handlePipelineOAuthCallback", SERVICE, query=conn.OAuthCallbackQuery),
    Served("exchangePipelineOAuthCode", SERVICE, body=conn.OAuthExchangeBody),
]
# The provider proxy: a call to a connected provider's API with the workspace's credential injected (synchronous,
# so the answer is the provider's).
SERVED += [
    Served("proxyProviderApiCall", SERVICE, body=proxy.ProxyBody),
]
# Tenant integrations (integrations-api's configuration, workflow-api's list and test): synchronous operations of
# the service's internal API, so the secret settings in their bodies are sealed by the service, never on Kafka.
SERVED += [
    Served("listIntegrations", SERVICE, query=ti.IntegrationListQuery),
    Served("createIntegration", SERVICE, body=ti.IntegrationCreate),
    Served("getIntegration", SERVICE),
    Served("updateIntegration", SERVICE, body=ti.IntegrationUpdate),
    Served("deleteIntegration", SERVICE),
    Served("regenerateIntegrationKey", SERVICE),
    Served("testIntegration", SERVICE),
    # No body model here: the service validates it, so a refusal is logged with the key shortened (the gateway
    # logs a request it refuses itself with its whole path, key included).
    Served("receiveIntegrationInbound", SERVICE,
           route=Route("POST", "/v1/integrations/inbound/{key}", "Push an event to a custom integration",
                       "Integration configuration", (), auth="webhook_token")),
]
# Custom providers (Junction's own operations): a workspace admin's private provider manifests.
_CUSTOM = CONNECT_BASE + "/custom-providers"
SERVED += [
    Served("listCustomProviders", SERVICE, route=Route("GET", _CUSTOM, "List custom providers", "Custom providers",
                                                     ("providers.view",))),
    Served("registerCustomProvider", SERVICE, body=cp.CustomProviderBody,
           route=Route("POST", _CUSTOM, "Register a custom provider", "Custom providers", ("providers.write",),
                       admin_only=True)),
    Served("getCustomProvider", SERVICE, route=Route("GET", _CUSTOM + "/{type}", "Get a custom provider",
                                                   "Custom providers", ("providers.view",))),
    Served("replaceCustomProvider", SERVICE, body=cp.CustomProviderBody,
           route=Route("PUT", _CUSTOM + "/{type}", "Replace a custom provider's manifest", "Custom providers",
                       ("providers.write",), admin_only=True)),
    Served("deleteCustomProvider", SERVICE, route=Route("DELETE", _CUSTOM + "/{type}", "Delete a custom provider",
                                                      "Custom providers", ("providers.write",), admin_only=True)),
]
# Provider webhook subscriptions (connect-api), and Junction's own incoming URL providers deliver to (the token in
# the path is the credential; the raw body and the provider's headers reach the service as sent, for signatures).
SERVED += [
    Served("createProviderWebhookSubscription", SERVICE, body=pwh.SubscribeBody),
    Served("listProviderWebhookSubscriptions", SERVICE),
    Served("deleteProviderWebhookSubscription", SERVICE),
    Served("receiveProviderWebhook", SERVICE,
           route=Route("POST", CONNECT_BASE + "/webhooks/{type}/incoming/{token}", "Receive a provider webhook",
                       "Provider webhooks", (), auth="webhook_token")),
    # The provider's URL verification (Meta's hub.challenge, Dropbox's challenge) on the same incoming URL.
    Served("answerProviderWebhookChallenge", SERVICE,
           route=Route("GET", CONNECT_BASE + "/webhooks/{type}/incoming/{token}",
                       "Answer a provider's webhook URL verification", "Provider webhooks", (),
                       auth="webhook_token")),
]
