"""Users, API tokens, roles and logins: who may do what."""
