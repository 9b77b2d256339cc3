"""Signing in to Port: browser OAuth and token mode per profile, tokens in the keychain, refresh."""
