"""OAuth 2.0 building blocks of the connections service: the signed single-use `state`, PKCE, the authorize
URL, the token endpoints (exchange, refresh, client credentials, revoke) and one refresh in flight per
connection. The routes (`/api/pipelines/oauth/:connector/authorize|callback|exchange`) and the connection
aggregate compose them; nothing here knows about connections' events or storage of tokens.
"""
