"""Signing in to Port and everything secret: browser OAuth and token mode per profile, refresh, the keychain.

account.py       what the facade calls: browser_login, token_login, logout, sign_in_status, forget
browser.py       the browser sign-in: registration, PKCE authorization, the code exchange
discovery.py     how the MCP server says to sign in (RFC 9728, RFC 8414)
callback.py      the loopback redirect listener
tokens.py        TokenProvider, token mode (client credentials), the profile states
oauth_tokens.py  OAuthTokenProvider: a browser sign-in's tokens, refreshed at 80 % of their life
records.py       TokenRecord and ClientRegistration, as kept in the keychain
store.py         sign-ins and API credentials in the keychain, by entry name
keychain.py      the keychain itself (chunked entries; keyring's errors mapped here)
localkey.py      the per-install local key that clients send to the bridge
sso.py           what SSO organizations need, and the request to send to Port support
"""
