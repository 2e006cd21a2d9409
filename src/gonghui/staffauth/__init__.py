"""Staff sign-in security: throttled admin login, optional TOTP second factor, resets in scope."""
